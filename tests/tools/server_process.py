"""server_process.py — `memledger serve` for the end-to-end tests: started,
waited for until it accepts connections (its socket file appears at bind,
before listen), asked for its summary, and always stopped by stop_all() in the test's `finally`, even
when the test fails (an orphan server would hold the test's output pipe open
and hang ctest)."""
import json
import os
import signal
import socket
import subprocess
import time

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
    deadline = time.time() + 15
    while time.time() < deadline:
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


def status(bin_dir, path):
    """`memledger status --json` of the server at `path`, parsed."""
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", path, "--json"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError("memledger status failed: " + out.stderr)
    return json.loads(out.stdout)


def wait_for(what, predicate, timeout=120):
    """Polls `predicate` until it holds; RuntimeError after `timeout` seconds."""
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.02)


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
