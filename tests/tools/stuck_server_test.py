#!/usr/bin/env python3
"""stuck_server_test.py — tracked programs never wait on a stuck server.

A server that stops draining (here: SIGSTOP, as a deadlock, an overload or
a fake server would) must not block the programs that handed it their
rings: once their producers have waited for ring space for the bound (50 ms),
each takes its ring back and accounts in-process; when the server drains
again it gets the ring back, and its books of the process go on exactly.

Each client (`memledger-sim llm`, 64 KiB rings) waits at its start gate
(sim_gates.py) once its weights are loaded and the server has its first
events; the server is stopped (and seen stopped) before any decode step runs,
so every step's records meet a stopped server, however fast or slow the
build and the machine.

1. Clients that finish during the stall: the server stays stopped until every
   one of them has exited (asserted: they exited while it was stopped — not
   how fast). Resumed, the server books each as released at the point it lost
   the ring: no leaks booked for what they held then, no anomaly, nothing
   lost, books not complete (each one's end is in its own books) — and, as
   they are gone, nothing of theirs live on its devices.
2. Clients that run through the stall: the server is stopped at least 10 s;
   the clients run --stall-iterations steps meanwhile and wait at a hold
   there, so they are still running when it is continued; then they go on.
   Each hands its ring back to the same server, which rejoins its books (the
   frees of buffers from before the stall are matched, the buffers allocated
   during it carried over), and at their exit the server's books equal each
   one's truth (--truth-json): leaks per process and per device and type, no
   anomaly, nothing lost or dropped.

usage: stuck_server_test.py BIN_DIR [--clients N] [--stall S] [--iterations I] [--stall-iterations K]
                            [--finish-iterations F]
"""
import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

from checks import Checker, check_leaks_by_device_type, clean_env
from server_process import own, process_state, start_server, status, stop, stop_all, wait_for
from sim_gates import open_gate, wait_at_gate

ANOMALIES = ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events")


# A client: its process, its truth at exit, its gate files (start, hold), its standard error as read so far.
Client = collections.namedtuple("Client", "proc truth ready held lines reader")


def start_clients(bin_dir, work, socket, tag, count, iterations, hold_at=None):
    """`count` llm clients waiting at their start gate (and, given `hold_at`, to hold there)."""
    clients = []
    for i in range(count):
        truth, ready, held = (os.path.join(work, f"{name}-{tag}-{i}.json") for name in ("truth", "ready", "held"))
        cmd = [os.path.join(bin_dir, "memledger-sim"), "llm", "--iterations", str(iterations), "--leaks", str(2 + i),
               "--seed", str(i + 1), "--truth-json", truth, "--checkpoint-truth", ready]
        if hold_at is not None:
            cmd += ["--hold-at-iteration", str(hold_at), "--hold-truth", held]
        proc = own(subprocess.Popen(cmd, env=clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket, MEMLEDGER_REPORT="0",
                                                       MEMLEDGER_RING_SIZE="64K"),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
        lines = []
        reader = threading.Thread(target=lambda p=proc, out=lines: out.extend(iter(p.stderr.readline, "")),
                                  daemon=True)
        reader.start()
        clients.append(Client(proc, truth, ready, held, lines, reader))
    return clients


def all_booked(bin_dir, socket, clients):
    pids = {c.proc.pid for c in clients}
    rows = status(bin_dir, socket)["processes"]
    return pids <= {p["pid"] for p in rows if p["events"] > 0}


def stop_server_under_waiting_clients(bin_dir, socket, server, clients):
    """Once every client waits at its start gate and is in the server's books,
    stops the server, waits until it is stopped, and lets the clients go on:
    all their decode steps meet a stopped server. Returns when it was stopped."""
    for client in clients:
        wait_at_gate(f"pid {client.proc.pid}", client.ready)
    wait_for("every client to be in the server's books", lambda: all_booked(bin_dir, socket, clients))
    server.send_signal(signal.SIGSTOP)
    wait_for("the server to be stopped", lambda: process_state(server.pid) == "T")
    stopped_at = time.monotonic()
    for client in clients:
        open_gate(client.proc)
    return stopped_at


def finished_during_stall(bin_dir, work, check, clients_count, stall, iterations):
    print(f"{clients_count} clients finish while the server is stopped")
    socket = os.path.join(work, "finish.sock")
    server = start_server(bin_dir, socket)
    clients = start_clients(bin_dir, work, socket, "finish", clients_count, iterations)
    stopped_at = stop_server_under_waiting_clients(bin_dir, socket, server, clients)
    deadline = stopped_at + 300  # a hang guard: all the clients' work, in-process
    while time.monotonic() < deadline and any(c.proc.poll() is None for c in clients):
        time.sleep(0.05)
    for proc, *_ in clients:
        check.true(f"pid {proc.pid} exited while the server was stopped", proc.poll() is not None)
    time.sleep(max(0.0, stall - (time.monotonic() - stopped_at)))
    server.send_signal(signal.SIGCONT)
    for proc, _, _, _, lines, reader in clients:
        proc.wait(timeout=600)
        reader.join(timeout=60)
        err = "".join(lines)
        check.expect(f"pid {proc.pid} exit status", proc.returncode, 0)
        check.true(f"pid {proc.pid} says it took its ring back", "stopped draining this process's ring" in err, err)
    summary = status(bin_dir, socket)
    rows = {p["pid"]: p for p in summary["processes"]}
    for proc, *_ in clients:
        row = rows.get(proc.pid, {})
        check.expect(f"pid {proc.pid} is released in the server's books", row.get("state"), "released")
        check.expect(f"pid {proc.pid}: nothing booked as leaked", row.get("leaked_buffers"), 0)
        check.expect(f"pid {proc.pid}: its books say they are not complete (its end was booked elsewhere)",
                     row.get("books_complete"), False)
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


def ran_through_stall(bin_dir, work, check, clients_count, stall, iterations, stall_iterations):
    print(f"{clients_count} clients run through a {stall} s stall")
    socket = os.path.join(work, "through.sock")
    server = start_server(bin_dir, socket)
    clients = start_clients(bin_dir, work, socket, "through", clients_count, iterations, hold_at=stall_iterations)
    stopped_at = stop_server_under_waiting_clients(bin_dir, socket, server, clients)
    for client in clients:  # their first steps ran while the server was stopped
        wait_at_gate(f"pid {client.proc.pid} after {stall_iterations} steps", client.held, timeout=600)
    time.sleep(max(0.0, stall - (time.monotonic() - stopped_at)))
    check.true("the clients were still running when the server resumed",
               all(c.proc.poll() is None for c in clients))
    server.send_signal(signal.SIGCONT)
    for client in clients:  # the rest of their steps: while they hand their rings back, and after
        open_gate(client.proc)
    truths = {}
    for proc, truth, _, _, lines, reader in clients:
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
    parser.add_argument("--stall-iterations", type=int, default=1000,
                        help="of those, the steps run while the server is stopped")
    parser.add_argument("--finish-iterations", type=int, default=300,
                        help="llm decode steps of the clients that finish while the server is stopped (3 or more: "
                             "a step fills more than a 64 KiB ring)")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            finished_during_stall(args.bin_dir, work, check, args.clients, args.stall, args.finish_iterations)
            ran_through_stall(args.bin_dir, work, check, args.clients, args.stall, args.iterations,
                              args.stall_iterations)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
