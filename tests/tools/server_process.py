"""server_process.py — `memledger serve` for the end-to-end tests: started,
waited for until it accepts connections (its socket file appears at bind,
before listen), asked for its summary, and always stopped by stop_all() in the test's `finally`, even
when the test fails (an orphan server would hold the test's output pipe open
and hang ctest) — and so are the processes a test owns (own(): clients
waiting at a gate wait forever if the test fails before it lets them go).
Also the waits the tests share: for a predicate, for a process's state
(stopped: T), for the server's symbols of a module. And the ring layout
version a Hello names (src/ring/ring_layout.h), for the tests that hand a
server what they built by hand."""
import json
import os
import re
import signal
import socket
import subprocess
import time

RING_LAYOUT_VERSION = 3

_started = []


def start_server(bin_dir, path, extra_args=(), prefix=(), stderr=subprocess.DEVNULL):
    """`memledger serve --socket path *extra_args`, under `prefix` (e.g. setpriv) if given; its log
    (standard error) goes to `stderr` (a file to read it from, or discarded)."""
    # A session of its own: a test may stop the server (SIGSTOP), and a stopped
    # process in an orphaned process group gets SIGHUP when another member exits.
    process = subprocess.Popen(list(prefix) + [os.path.join(bin_dir, "memledger"), "serve", "--socket", path,
                                               *extra_args], stdout=subprocess.DEVNULL, stderr=stderr,
                               start_new_session=True)
    _started.append(process)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"memledger serve exited with status {process.returncode}")
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as probe:
                probe.connect(path)
                return process
        except OSError:
            time.sleep(0.01)
    stop(process)
    raise RuntimeError(f"memledger serve did not accept connections on {path}")


def own(process):
    """`process` (started by the test) is stopped by stop_all() too, if it still runs; returns it."""
    _started.append(process)
    return process


def status(bin_dir, path, timeout=120):
    """`memledger status --json` of the server at `path`, parsed. The server
    drains every ring before it answers, and the query gives up after 10 s
    without a first packet: a server with a large backlog (a sanitized build,
    a loaded machine) is asked again until it answers, for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", path, "--json"],
                             capture_output=True, text=True, timeout=120)
        if out.returncode == 0:
            return json.loads(out.stdout)
        if "did not answer the query" not in out.stderr or time.monotonic() > deadline:
            raise RuntimeError("memledger status failed: " + out.stderr)


def bare_frames(summary, module):
    """The frames of `summary`'s leak sites in `module` (a path; matched by its
    file name) that are bare: module+0xOFFSET, neither symbolized nor saying
    why not. The server answers with what its symbolizer has read after 5 s;
    a frame of a module with debug information is bare only until it is read."""
    pattern = re.compile(r"(^|/)" + re.escape(os.path.basename(module)) + r"\+0x[0-9a-f]+$")
    return [f for site in summary["leaks"]["sites"] for f in site["stack"] if pattern.search(f)]


def symbolized_status(bin_dir, path, module, timeout=120):
    """status(), asked again until no leak-site frame in `module` is bare
    (bare_frames); after `timeout` seconds, the last answer as it is."""
    deadline = time.monotonic() + timeout
    while True:
        summary = status(bin_dir, path)
        if not bare_frames(summary, module) or time.monotonic() > deadline:
            return summary
        time.sleep(0.2)


def wait_for(what, predicate, timeout=120):
    """Polls `predicate` until it holds; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.02)


def process_state(pid):
    """The state letter of /proc/PID/stat (R, S, T stopped, Z ...), or "gone"."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def stop(process):
    """SIGTERM, then SIGKILL if it lingers; returns its exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def stop_all():
    for process in _started:
        stop(process)
    _started.clear()
