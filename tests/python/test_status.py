"""memledger.status() against a real `memledger serve`: a running Python program's books, its leaks with
Python frames when it ends, and the frames still named by a server that came after the one that first
heard of them (the client sends them again at the handover)."""
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

import memledger
from conftest import clean_env
from server_process import start_server, stop, stop_all

HOLDER = """
import sys, memledger
memledger.open_device(0, name="n300", capacity={"DRAM": 1 << 30})
def hold_weights():
    for i in range(3):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=i + 1, address=0x100000 * (i + 1), size=1 << 20)
def leak_step(i):
    memledger.track_alloc(device=0, type="L1", buffer_id=100 + i, address=0x1000 * i, size=256)
for line in sys.stdin:   # each line: a step; the test reads between them
    if line.strip() == "end":
        break
    if line.strip() == "hold":
        hold_weights()
    else:
        leak_step(int(line))
        memledger.track_free(device=0, type="L1", buffer_id=100 + int(line)) if line.strip() == "1" else None
    memledger.flush()
    print("done", flush=True)
"""


class Client:
    """A tracked Python program in server mode, driven a step at a time through its stdin."""

    def __init__(self, tmp_path, socket, stacks=True):
        script = tmp_path / "holder.py"
        script.write_text(HOLDER)
        env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=str(socket))
        if stacks:
            env["MEMLEDGER_STACKS"] = "1"
        self.process = subprocess.Popen([sys.executable, str(script)], env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr = []
        self.reader = threading.Thread(target=lambda: self.stderr.extend(iter(self.process.stderr.readline, "")),
                                       daemon=True)
        self.reader.start()

    def step(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline() == "done\n", "".join(self.stderr)

    def end(self):
        self.process.stdin.write("end\n")
        self.process.stdin.close()
        assert self.process.wait(timeout=60) == 0, "".join(self.stderr)
        self.reader.join(timeout=10)

    def wait_for_stderr(self, text, timeout=30):
        deadline = time.time() + timeout
        while not any(text in line for line in self.stderr):
            assert time.time() < deadline, f"no {text!r} from the client: {''.join(self.stderr)}"
            time.sleep(0.02)


@pytest.fixture
def socket_path(tmp_path):
    yield tmp_path / "memledger.sock"
    stop_all()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_row(summary, pid):
    return next(p for p in summary["processes"] if p["pid"] == pid)


def test_status_of_a_running_python_program(socket_path, tmp_path):
    server = start_server(os.environ["MEMLEDGER_BIN_DIR"], str(socket_path))
    client = Client(tmp_path, socket_path)
    client.step("hold")
    summary = memledger.status(socket=socket_path)
    assert summary["schema"] == "memledger.summary/1"
    assert summary["server"]["socket"] == str(socket_path) and summary["server"]["clients"] == 1
    row = process_row(summary, client.process.pid)
    assert (row["state"], row["comm"], row["uid"]) == ("running", "python3", os.getuid())
    assert row["devices"][0]["types"]["DRAM"] == {"live_bytes": 3 << 20, "live_buffers": 3}
    device = summary["devices"][0]
    assert device["name"] == "n300" and device["capacity"]["DRAM"] == 1 << 30

    client.step("2")  # one L1 buffer, never freed
    client.end()
    deadline = time.time() + 30
    while process_row(summary := memledger.status(socket=str(socket_path)), client.process.pid)["state"] == "running":
        assert time.time() < deadline
        time.sleep(0.02)
    row = process_row(summary, client.process.pid)
    assert (row["state"], row["leaked_buffers"], row["leaked_bytes"]) == ("exited", 4, (3 << 20) + 256)
    stacks = {s["type"]: s["stack"] for s in summary["leaks"]["sites"]}
    assert stacks["DRAM"][0].startswith("hold_weights at ") and stacks["L1"][0].startswith("leak_step at ")
    assert stop(server) == 0


def test_python_frames_survive_a_server_restart(socket_path, tmp_path):
    bin_dir = os.environ["MEMLEDGER_BIN_DIR"]
    first = start_server(bin_dir, str(socket_path))
    client = Client(tmp_path, socket_path)
    client.step("1")  # leak_step's frames and stack are described to the first server only
    first.kill()
    first.wait()
    client.wait_for_stderr("the server went away")
    client.step("2")  # the same stack, in the client's own books while no server runs
    second = start_server(bin_dir, str(socket_path))
    client.wait_for_stderr("reconnected to the server")
    client.end()
    deadline = time.time() + 30
    while process_row(summary := memledger.status(str(socket_path)), client.process.pid)["state"] == "running":
        assert time.time() < deadline
        time.sleep(0.02)
    row = process_row(summary, client.process.pid)
    assert row["handover"]["carried_buffers"] == 1 and row["leaked_buffers"] == 1
    (site,) = summary["leaks"]["sites"]
    assert site["stack"][0] == f"leak_step at {tmp_path / 'holder.py'}:8", site["stack"]
    assert site["stack"][1].startswith("<module> at "), site["stack"]
    assert stop(second) == 0


# A process with all 48 of its pool ids taken, one buffer in each (leaked when it exits); its 49th pool is refused.
POOLS = """
import sys, memledger
k = int(sys.argv[1])
memledger.open_device(0, name="n300")
for i in range(48):
    memledger.register_pool(f"pool{k}.{i}")
    memledger.track_alloc(device=0, type=f"pool{k}.{i}", buffer_id=i + 1, address=0x1000, size=100 * k + i + 1)
try:
    memledger.register_pool("one too many")
except ValueError as refused:
    print(refused)
"""
POOL_PROCESSES = 6  # 288 pool names: the server's table of types grows past 64 and past 256


def test_pools_of_many_processes_each_keep_their_own_name(socket_path, run_python):
    """One server, six processes of 48 pools each: every pool is booked under its own name in the status JSON,
    the status table and /metrics, none merged; the refusal of a 49th pool reaches the process that asked."""
    bin_dir = os.environ["MEMLEDGER_BIN_DIR"]
    port = free_port()
    server = start_server(bin_dir, str(socket_path), ["--metrics", f"127.0.0.1:{port}"])
    pids = []
    for k in range(POOL_PROCESSES):
        out = run_python(POOLS + "import os; print(os.getpid())\n", str(k),
                         env={"MEMLEDGER": "1", "MEMLEDGER_SOCKET": str(socket_path)})
        refusal, pid = out.stdout.splitlines()
        assert "cannot register pool 'one too many': all 48 pools are taken" in refusal
        pids.append(int(pid))
    deadline = time.time() + 60
    while any(process_row(summary := memledger.status(socket=str(socket_path)), pid)["state"] == "running"
              for pid in pids):
        assert time.time() < deadline
        time.sleep(0.02)
    types = summary["devices"][0]["types"]
    for k in range(POOL_PROCESSES):
        row = process_row(summary, pids[k])
        assert "pools_merged" not in row and row["leaked_bytes"] == sum(100 * k + i + 1 for i in range(48))
        for i in range(48):
            assert types[f"pool{k}.{i}"]["leaked_bytes"] == 100 * k + i + 1, f"pool{k}.{i}"
    assert all(n == 0 for n in summary["anomalies"].values()), summary["anomalies"]

    table = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", str(socket_path)],
                           capture_output=True, text=True, timeout=120, check=True).stdout
    last = f"pool{POOL_PROCESSES - 1}.47"
    assert any(line.split()[:1] == [last] for line in table.splitlines()), table
    # /metrics is rebuilt on the server's loop at most every 100 ms: read it
    # until it shows the books the status query just showed (bounded wait).
    want = f'memledger_leaked_bytes_total{{device="0",type="{last}"}} {100 * (POOL_PROCESSES - 1) + 48}\n'
    deadline = time.monotonic() + 60
    while True:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            metrics = response.read().decode()
        if want in metrics or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert want in metrics
    assert metrics.count('memledger_leaked_bytes_total{device="0",') == 48 * POOL_PROCESSES  # one series per pool
    assert stop(server) == 0
