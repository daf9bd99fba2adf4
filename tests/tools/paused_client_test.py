#!/usr/bin/env python3
"""paused_client_test.py — pausing a tracked process never changes its books.

A process stopped by SIGSTOP, Ctrl-Z, a debugger or a cgroup freezer has
threads stopped mid-hook: slots claimed and not yet published. Their
consumer must wait for them however long the stop lasts. Each run is a
`memledger-sim reuse-storm` (4 threads, a 64 KiB ring so it is often full)
stopped with SIGSTOP mid-run for a while, then continued; its books must
equal the allocator's own truth (--truth-json): the same leaks per device and
type, allocs and frees, no anomaly, nothing lost or dropped.

The runs of one stop length run at once (each its own process, all stopped
together), so 20 runs cost one stop. Both stop lengths (3 s, longer than the
server's old 2 s give-up; 10 s, the embedded consumer's), in server mode
(one `memledger serve` for the runs) and in embedded mode (each run writes a
capture, read back with `memledger report --json`).

Every run waits at its start gate (sim_gates.py) until the test lets it go;
then the test waits for its worker threads and stops it at once, one run
after the other: each is stopped while its threads produce, however fast or
slow the others were to start.

usage: paused_client_test.py BIN_DIR [--runs N] [--stops 3,10] [--iterations I] [--modes server,embedded]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from checks import Checker, check_leaks_by_device_type, clean_env
from server_process import own, process_state, start_server, status, stop, stop_all, wait_for
from sim_gates import open_gate, wait_at_gate

ANOMALIES = ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events")
THREADS = 4  # each run's worker threads


def memledger_json(bin_dir, *args):
    out = subprocess.run([os.path.join(bin_dir, "memledger"), *args, "--json"], capture_output=True, text=True,
                         timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"memledger {' '.join(args)} failed: {out.stderr}")
    return json.loads(out.stdout)


def start_runs(bin_dir, work, tag, runs, iterations, extra_env):
    """Starts `runs` clients, each to wait at its start gate; returns [(process, truth path, capture path)]."""
    started = []
    for run in range(runs):
        truth = os.path.join(work, f"truth-{tag}-{run}.json")
        capture = os.path.join(work, f"capture-{tag}-{run}.mlcap")
        ready = os.path.join(work, f"ready-{tag}-{run}.json")
        env = clean_env(MEMLEDGER="1", MEMLEDGER_REPORT="0", MEMLEDGER_RING_SIZE="64K",
                        **{k: v.replace("{capture}", capture) for k, v in extra_env.items()})
        cmd = [os.path.join(bin_dir, "memledger-sim"), "reuse-storm", "--threads", str(THREADS), "--iterations",
               str(iterations), "--host-work", "0", "--leaks", str(1 + run % 3), "--seed", str(run + 1),
               "--truth-json", truth, "--checkpoint-truth", ready]
        # A session of its own: a stopped process in the test's process group
        # would get SIGHUP from the kernel if that group were orphaned (a test
        # runner started in the background) when another member exits.
        started.append((own(subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                             start_new_session=True)),
                        truth, capture, ready))
    for proc, _, _, ready in started:
        wait_at_gate(f"pid {proc.pid}", ready)
    return [(proc, truth, capture) for proc, truth, capture, _ in started]


def thread_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def let_go_and_stop(clients):
    """Lets each client (waiting at its start gate) go and SIGSTOPs it as soon
    as its worker threads exist, one after the other."""
    for proc, _, _ in clients:
        at_gate = thread_count(proc.pid)
        open_gate(proc)
        wait_for(f"pid {proc.pid}'s workers", lambda: thread_count(proc.pid) >= at_gate + THREADS or
                 process_state(proc.pid) in ("Z", "gone"))
        proc.send_signal(signal.SIGSTOP)


def pause(check, what, clients, seconds):
    """Every client stopped mid-run (let_go_and_stop): wait `seconds`, SIGCONT them."""
    for proc, _, _ in clients:
        wait_for(f"pid {proc.pid} to stop", lambda: process_state(proc.pid) in ("T", "Z", "gone"))
    # A run may finish between its start and its stop on a loaded machine; the
    # books of every run are checked, and most must really have been stopped.
    stopped = sum(process_state(p.pid) == "T" for p, _, _ in clients)
    print(f"  {stopped} of {len(clients)} runs stopped mid-run")
    check.true(f"{what}: most runs were stopped mid-run ({stopped} of {len(clients)})", 2 * stopped >= len(clients))
    time.sleep(seconds)
    for proc, _, _ in clients:
        proc.send_signal(signal.SIGCONT)


def finish(check, what, clients):
    truths = {}
    for proc, truth, _ in clients:
        proc.communicate(timeout=900)
        check.expect(f"{what}: pid {proc.pid} exit status", proc.returncode, 0)
        with open(truth) as f:
            truths[proc.pid] = json.load(f)
    return truths


def expect_books(check, what, summary, truths, counts_every_event):
    """`summary` holds exactly the processes of `truths`: their books equal their truths. A server's
    books count every alloc and free only when no client took its ring back meanwhile (a server
    starved of CPU by the runs may stall past the clients' bound): then its books are exact in
    what is held and leaked, not in how many allocs and frees happened in the clients meanwhile."""
    rows = {p["pid"]: p for p in summary["processes"]}
    # One row per process: books that went on after a handback, never begun again beside the old ones.
    check.expect(f"{what}: processes", sorted(p["pid"] for p in summary["processes"]), sorted(truths))
    for pid, truth in truths.items():
        row = rows.get(pid, {})
        check.expect(f"{what}: pid {pid} state", row.get("state"), "exited")
        check.expect(f"{what}: pid {pid} leaked buffers", row.get("leaked_buffers"), truth["leaked"]["buffers"])
        check.expect(f"{what}: pid {pid} leaked bytes", row.get("leaked_bytes"), truth["leaked"]["bytes"])
    for kind in ANOMALIES:
        check.expect(f"{what}: {kind}", summary["anomalies"][kind], 0)
    check.expect(f"{what}: lost records", summary["lost_records"], 0)
    check.expect(f"{what}: dropped events", summary["dropped_events"], 0)
    if counts_every_event:
        types = [t for d in summary["devices"] for t in d["types"].values()]
        check.expect(f"{what}: allocs", sum(t["allocs"] for t in types), sum(t["allocs"] for t in truths.values()))
        check.expect(f"{what}: frees", sum(t["frees"] for t in types), sum(t["frees"] for t in truths.values()))
    check_leaks_by_device_type(check, f"{what}: ", summary, truths.values())


def server_mode(bin_dir, work, check, runs, seconds, iterations):
    what = f"server mode, stopped {seconds} s"
    print(f"{runs} runs, {what}")
    path = os.path.join(work, f"paused-{seconds}.sock")
    server = start_server(bin_dir, path)
    clients = start_runs(bin_dir, work, f"server-{seconds}", runs, iterations, {"MEMLEDGER_SOCKET": path})
    let_go_and_stop(clients)
    pause(check, what, clients, seconds)
    truths = finish(check, what, clients)
    summary = status(bin_dir, path)
    took_back = any(p.get("handover") for p in summary["processes"])
    if took_back:
        print("  (the server was starved past the clients' bound: some took their ring back and handed it back)")
    expect_books(check, what, summary, truths, counts_every_event=not took_back)
    check.expect(f"{what}: server exit status", stop(server), 0)


def embedded_mode(bin_dir, work, check, runs, seconds, iterations):
    what = f"embedded mode, stopped {seconds} s"
    print(f"{runs} runs, {what}")
    clients = start_runs(bin_dir, work, f"embedded-{seconds}", runs, iterations,
                         {"MEMLEDGER_SOCKET": "none", "MEMLEDGER_OUTPUT": "{capture}"})
    let_go_and_stop(clients)
    pause(check, what, clients, seconds)
    truths = finish(check, what, clients)
    for proc, _, capture in clients:
        expect_books(check, f"{what}, pid {proc.pid}", memledger_json(bin_dir, "report", capture),
                     {proc.pid: truths[proc.pid]}, counts_every_event=True)
        os.remove(capture)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--stops", default="3,10", help="stop lengths in seconds, comma-separated")
    parser.add_argument("--iterations", type=int, default=40000, help="alloc/free pairs per thread and run")
    parser.add_argument("--modes", default="server,embedded")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            for mode in args.modes.split(","):
                for seconds in (float(s) for s in args.stops.split(",")):
                    run = server_mode if mode == "server" else embedded_mode
                    run(args.bin_dir, work, check, args.runs, seconds, args.iterations)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
