"""memledger.checkpoint from Python, in tracked child interpreters (embedded mode, stacks on): what was
allocated since and is still live, named by the Python line that allocated it; nesting; excluded
sequence ranges; peaks; errors; and tracking off. Then in server mode: a server stopped (SIGSTOP)
while a process asks, and one killed, give the process a clear error, never a wrong answer nor a
hang, and the answer is the same once a stopped server goes on."""
import json
import os
import signal
import subprocess
import sys

import checks  # tests/tools, on PYTHONPATH
from server_process import process_state, start_server, stop_all, wait_for

TRACKED = {"MEMLEDGER": "1", "MEMLEDGER_STACKS": "1", "MEMLEDGER_SOCKET": "none", "MEMLEDGER_REPORT": "0"}

PRELUDE = """
import json, memledger
memledger.open_device(0, name="n150", capacity={"DRAM": 1 << 30, "L1": 1 << 20})
memledger.skip_frames("^(alloc|free)$")  # the test's allocator: sites are named by its callers
ids = iter(range(1, 1 << 30))
def alloc(size, type="DRAM"):
    i = next(ids)
    memledger.track_alloc(device=0, type=type, buffer_id=i, address=i << 16, size=size)
    return (i, type)
def free(buffer):
    memledger.track_free(device=0, type=buffer[1], buffer_id=buffer[0])
"""


def run(run_python, body, env=TRACKED):
    out = run_python(PRELUDE + body, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def line_of(text, marker):
    return next(i for i, line in enumerate((PRELUDE + text).splitlines(), 1) if line.rstrip().endswith(marker))


LEAK = """
before = alloc(100)
with memledger.checkpoint() as cp:
    kept = alloc(4096)  # THE LEAK
    gone = alloc(200, "L1")
    free(gone)
    free(before)
    r = cp.query()
print(json.dumps({"buffers": r.buffers, "bytes": r.bytes, "peak": r.peak_above_begin,
                  "site": r.sites[0].site, "headline": r.sites[0].headline, "text": r.text,
                  "roles": [f["role"] for f in r.sites[0].frames],
                  "dram": [p.above_begin for p in r.peaks if p.type == "DRAM"],
                  "l1": r.peak_above("L1", 0), "l1_other_device": r.peak_above("L1", 1),
                  "listed": [b["size"] for b in r.raw["buffer_list"]], "id": cp.id, "active": cp.active}))
"""


def test_the_leak_is_named_by_its_python_line(run_python):
    got = run(run_python, LEAK)
    assert (got["buffers"], got["bytes"], got["listed"]) == (1, 4096, [4096])
    assert got["site"].endswith(f"script.py:{line_of(LEAK, '# THE LEAK')}"), got
    assert got["headline"] == f"<module> at script.py:{line_of(LEAK, '# THE LEAK')}", got
    assert got["dram"] == [4096] and got["l1"] == 200 and got["l1_other_device"] == 0
    assert got["peak"] == 4096
    assert got["text"].startswith("1 buffer, 4.0 KiB, allocated since the checkpoint and still live, from 1 site:")
    assert got["active"] is False, "ended by its with"


NESTED = """
outer = memledger.checkpoint()
x = alloc(10)
inner = memledger.checkpoint()
begin = memledger.sequence()
fixture = alloc(30)
end = memledger.sequence()
y = alloc(20)
answers = {"inner": inner.query().bytes, "outer": outer.query().bytes,
           "outer_without_fixture": outer.query(exclude=[(begin, end)]).bytes,
           "counts_only": outer.query(counts_only=True).sites}
outer.end()
inner_after = inner.query().bytes
try:
    outer.query()
except memledger.CheckpointError as e:
    answers["ended"] = e.reason
inner.end()
free(y)
answers.update(inner_after=inner_after, begin_lt_end=begin < end)
print(json.dumps(answers))
"""


def test_nesting_excludes_and_counts_only(run_python):
    got = run(run_python, NESTED)
    assert got == {"inner": 50, "outer": 60, "outer_without_fixture": 30, "counts_only": [], "ended": "unknown",
                   "inner_after": 50, "begin_lt_end": True}


ERRORS = """
out = {}
open_ = [memledger.checkpoint() for _ in range(64)]
try:
    memledger.checkpoint()
except memledger.CheckpointError as e:
    out["full"] = e.reason
for c in open_:
    c.end()
c = memledger.checkpoint()
try:
    c.query(exclude=[(1, 2)] * 9)
except ValueError as e:
    out["excludes"] = "at most 8" in str(e)
print(json.dumps(out))
"""


def test_errors_are_said(run_python):
    got = run(run_python, ERRORS)
    assert got == {"full": "full", "excludes": True}


OFF = """
c = memledger.checkpoint()
out = {"active": c.active, "sequence": memledger.sequence()}
try:
    c.query()
except memledger.CheckpointError as e:
    out["reason"] = e.reason
    out["message"] = str(e)
print(json.dumps(out))
"""


def test_tracking_off_is_inactive_and_says_why(run_python):
    got = run(run_python, OFF, env={})
    assert got["active"] is False and got["sequence"] == 0 and got["reason"] == "off"
    assert "MEMLEDGER=1" in got["message"]


SERVED = PRELUDE + """
import sys
before = alloc(100)
cp = memledger.checkpoint()
kept = alloc(8192)
print("ready", flush=True)
for line in sys.stdin:  # each line: a query's timeout in seconds
    try:
        r = cp.query(timeout=float(line))
        print(json.dumps({"buffers": r.buffers, "bytes": r.bytes}), flush=True)
    except memledger.CheckpointError as e:
        print(json.dumps({"error": e.reason, "message": str(e)}), flush=True)
"""


def test_a_stopped_or_killed_server_is_said_never_answered_for(tmp_path):
    bin_dir = os.environ["MEMLEDGER_BIN_DIR"]
    socket_path = str(tmp_path / "memledger.sock")
    server = start_server(bin_dir, socket_path)
    script = tmp_path / "served.py"
    script.write_text(SERVED)
    env = checks.clean_env(MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_SOCKET=socket_path, MEMLEDGER_REPORT="0")
    child = subprocess.Popen([sys.executable, str(script)], env=env, cwd=tmp_path, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(timeout):
        child.stdin.write(f"{timeout}\n")
        child.stdin.flush()
        line = child.stdout.readline()
        assert line, f"the tracked process ended: {child.stderr.read()}"
        return json.loads(line)

    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        exact = {"buffers": 1, "bytes": 8192}
        assert ask(10) == exact
        server.send_signal(signal.SIGSTOP)
        wait_for("the server to stop", lambda: process_state(server.pid) == "T")
        stopped = ask(0.5)
        assert stopped["error"] == "server", stopped
        assert f"(pid {server.pid}) is stopped (SIGSTOP or a debugger)" in stopped["message"], stopped
        server.send_signal(signal.SIGCONT)
        assert ask(10) == exact, "the same answer once the server goes on"
        server.kill()
        server.wait()
        # Asked before or after the process took its ring back (the server hung up): the server could
        # not be asked, or the process's own books, begun after the checkpoint, do not know it.
        gone = ask(2)
        assert gone["error"] in ("server", "unknown") and gone["message"], gone
        child.stdin.close()
        assert child.wait(timeout=120) == 0, child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        stop_all()
