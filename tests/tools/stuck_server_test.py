#!/usr/bin/env python3
"""stuck_server_test.py — tracked programs never wait on a stuck server.

A server that stops draining (here: SIGSTOP, as a deadlock, an overload or
a fake server would) must not block the programs that handed it their
rings: once their producers have waited for ring space for the bound (50 ms),
each takes its ring back and accounts in-process; when the server drains
again it gets the ring back, and its books of the process go on exactly.

1. Clients that finish during the stall: several `memledger-sim llm` runs
   with 64 KiB rings; the server is stopped while they produce and stays
   stopped until every one of them has exited (asserted: they exited while
   it was stopped — not how fast). Resumed, the server books each as
   released at the point it lost the ring: no leaks booked for what they held
   then, no anomaly, nothing lost — and, as they are gone, nothing of theirs
   live on its devices.
2. Clients that run through the stall: the server is stopped 10 s while they
   produce, then continued; each hands its ring back to the same server,
   which rejoins its books (the frees of buffers from before the stall are
   matched, the buffers allocated during it carried over), and at their exit
   the server's books equal each one's truth (--truth-json): leaks per
   process and per device and type, no anomaly, nothing lost or dropped.

usage: stuck_server_test.py BIN_DIR [--clients N] [--stall S] [--iterations I]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from checks import Checker, check_leaks_by_device_type
from server_process import start_server, status, stop, stop_all, wait_for

ANOMALIES = ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events")


def client_env(socket):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER")}
    env.update(MEMLEDGER="1", MEMLEDGER_SOCKET=socket, MEMLEDGER_REPORT="0", MEMLEDGER_RING_SIZE="64K")
    return env






def start_clients(bin_dir, work, socket, tag, count, iterations):
    clients = []
    for i in range(count):
        truth = os.path.join(work, f"truth-{tag}-{i}.json")
        proc = subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--iterations", str(iterations),
                                 "--leaks", str(2 + i), "--seed", str(i + 1), "--truth-json", truth],
                                env=client_env(socket), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        lines = []
        reader = threading.Thread(target=lambda p=proc, out=lines: out.extend(iter(p.stderr.readline, "")),
                                  daemon=True)
        reader.start()
        clients.append((proc, truth, lines, reader))
    return clients


def all_producing(bin_dir, socket, clients):
    pids = {proc.pid for proc, _, _, _ in clients}
    rows = status(bin_dir, socket)["processes"]
    return pids <= {p["pid"] for p in rows if p["events"] > 0}


def finished_during_stall(bin_dir, work, check, clients_count, stall, iterations):
    print(f"{clients_count} clients finish while the server is stopped")
    socket = os.path.join(work, "finish.sock")
    server = start_server(bin_dir, socket)
    clients = start_clients(bin_dir, work, socket, "finish", clients_count, iterations)
    wait_for("every client to be producing", lambda: all_producing(bin_dir, socket, clients))
    server.send_signal(signal.SIGSTOP)
    stopped_at = time.time()
    deadline = stopped_at + 300
    while time.time() < deadline and any(proc.poll() is None for proc, _, _, _ in clients):
        time.sleep(0.05)
    for proc, _, lines, reader in clients:
        check.true(f"pid {proc.pid} exited while the server was stopped", proc.poll() is not None)
    time.sleep(max(0.0, stall - (time.time() - stopped_at)))
    server.send_signal(signal.SIGCONT)
    for proc, _, lines, reader in clients:
        proc.wait(timeout=600)
        reader.join(timeout=60)
        err = "".join(lines)
        check.expect(f"pid {proc.pid} exit status", proc.returncode, 0)
        check.true(f"pid {proc.pid} says it took its ring back", "stopped draining this process's ring" in err, err)
    summary = status(bin_dir, socket)
    rows = {p["pid"]: p for p in summary["processes"]}
    for proc, _, _, _ in clients:
        row = rows.get(proc.pid, {})
        check.expect(f"pid {proc.pid} is released in the server's books", row.get("state"), "released")
        check.expect(f"pid {proc.pid}: nothing booked as leaked", row.get("leaked_buffers"), 0)
    for kind in ANOMALIES:
        check.expect(f"finished during the stall: {kind}", summary["anomalies"][kind], 0)
    check.expect("finished during the stall: lost records", summary["lost_records"], 0)
    # They ended after taking their rings back: what they held was booked by
    # their own consumers, and none of it stays live on the server's devices.
    def device_live_bytes():
        return sum(t["live_bytes"] for d in status(bin_dir, socket)["devices"] for t in d["types"].values())
    try:
        wait_for("the released processes' buffers to leave the devices", lambda: device_live_bytes() == 0)
    except RuntimeError:
        pass  # said by the check below
    check.expect("finished during the stall: live bytes on the devices", device_live_bytes(), 0)
    check.expect("server exit status", stop(server), 0)


def ran_through_stall(bin_dir, work, check, clients_count, stall, iterations):
    print(f"{clients_count} clients run through a {stall} s stall")
    socket = os.path.join(work, "through.sock")
    server = start_server(bin_dir, socket)
    clients = start_clients(bin_dir, work, socket, "through", clients_count, iterations)
    wait_for("every client to be producing", lambda: all_producing(bin_dir, socket, clients))
    server.send_signal(signal.SIGSTOP)
    time.sleep(stall)
    check.true("the clients were still running when the server resumed (else: raise --iterations)",
               all(proc.poll() is None for proc, _, _, _ in clients))
    server.send_signal(signal.SIGCONT)
    truths = {}
    for proc, truth, lines, reader in clients:
        proc.wait(timeout=900)
        reader.join(timeout=60)
        err = "".join(lines)
        check.expect(f"pid {proc.pid} exit status", proc.returncode, 0)
        check.true(f"pid {proc.pid} took its ring back", "stopped draining this process's ring" in err, err)
        check.true(f"pid {proc.pid} handed it back", "reconnected to the server" in err, err)
        with open(truth) as f:
            truths[proc.pid] = json.load(f)
    summary = status(bin_dir, socket)
    check.expect("server exit status", stop(server), 0)
    rows = {p["pid"]: p for p in summary["processes"]}
    check.expect("one book per client", sorted(rows), sorted(truths))
    for pid, truth in truths.items():
        row = rows.get(pid, {})
        check.expect(f"pid {pid} state", row.get("state"), "exited")
        check.expect(f"pid {pid} leaked buffers", row.get("leaked_buffers"), truth["leaked"]["buffers"])
        check.expect(f"pid {pid} leaked bytes", row.get("leaked_bytes"), truth["leaked"]["bytes"])
        handover = row.get("handover") or {}
        print(f"  pid {pid}: {handover}")
        check.true(f"pid {pid}: the gap is counted", handover.get("handovers", 0) >= 2 and
                   handover.get("records_elsewhere", 0) > 0, str(handover))
        check.expect(f"pid {pid}: every free from before the stall was matched", handover.get("missed_frees"), 0)
    check_leaks_by_device_type(check, "", summary, truths.values())
    for kind in ANOMALIES:
        check.expect(f"through the stall: {kind}", summary["anomalies"][kind], 0)
    check.expect("through the stall: lost records", summary["lost_records"], 0)
    check.expect("through the stall: dropped events", summary["dropped_events"], 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--stall", type=float, default=10.0)
    parser.add_argument("--iterations", type=int, default=8000, help="llm decode steps of the clients that outlast it")
    parser.add_argument("--finish-iterations", type=int, default=300,
                        help="llm decode steps of the clients that finish while the server is stopped")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            finished_during_stall(args.bin_dir, work, check, args.clients, args.stall, args.finish_iterations)
            ran_through_stall(args.bin_dir, work, check, args.clients, args.stall, args.iterations)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
