#!/usr/bin/env python3
"""shared_failure_truth_test.py — issue 16's must-show through the server:
two processes on one device (one --device-uid) share L1's address space,
each allocating in its own half (--l1-partition 0/2 and 1/2), and at every
failure of one of them the server's books — verdict, free bytes, largest
free block, holes, holder sites, a clash's buffers below the CB region —
equal the truth of the whole space then.

Both states must be known at each failure: process B runs to its hold
(--hold-at-iteration; its gate file says what it holds) and waits there,
the server takes in all of it, then process A runs its failing workload to
the end. The whole space at A's failure is A's half at that instant (its
truth) joined with B's half as held: free bytes add up; holes and the
largest free block are those of the union of both halves' free blocks (a
hole at A's top and B's free space at its bottom are one hole); the holders
are both halves' sites.

The scenarios keep the allocator's verdict the whole space's:
- fragment in A's half, B a cb-clash held when its kept activations leave
  less than 48 KiB per core free below them: A's large request (128 KiB per
  core) fails fragmented in its half, and in the whole space too — B's
  free blocks, even joined with A's top hole (at most one 64 KiB scratch
  buffer's), are too small for it. (With B holding a free block as large,
  the ledger would rightly say "unexplained": A's allocator cannot use B's
  half; that is not the truth this test shows.)
- cb-clash in A's half (the lower one, where the CB region lies), B a
  fragment held after a few steps: the CB region reaches A's buffers, the
  lowest of the whole space, so the clash and its buffers are A's.

The server's books are read with `memledger status --json` (the summary
schema, allocation_failures...each[]): each process's capture (`serve
--capture`) holds that process's events only, so its replay judges the
space without the other process's buffers.

usage: shared_failure_truth_test.py BIN_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from failure_truth_test import compare_failures, ledger_failures
from server_process import own, start_server, status, stop_all, wait_for
from sim_gates import open_gate, wait_at_gate

UID = "shared-chip"
# (name, A's workload, B's workload held at its iteration HOLD, whether a
# hole of some failure spans both halves). Three fragment threads: with more,
# A's first failures are "exhausted" in its half, which the whole space is not.
SCENARIOS = [
    ("fragment", ["fragment", "--threads", "3"], ["cb-clash"], 24, True),
    ("cb-clash", ["cb-clash", "--threads", "4"], ["fragment"], 4, False),
]
TIMEOUT = 600  # a hang bound, generous for a loaded 2-core machine and sanitizers


def sim(bin_dir, socket_path, workload, partition, *args):
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket_path, MEMLEDGER_STACKS="1", MEMLEDGER_REPORT="0")
    return own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), *workload, "--devices", "1", "--device-uid",
                                 UID, "--l1-partition", partition, *args], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True))


def row(summary, pid):
    return next((p for p in summary["processes"] if p["pid"] == pid), None)


def live_bytes(summary):
    device = next((d for d in summary["devices"] if d["uid"] == UID), None)
    return {} if device is None else {t: c["live_bytes"] for t, c in device["types"].items() if c["live_bytes"]}


def join_free_blocks(*block_lists):
    """The free blocks [start, size] of several halves as one space's: sorted, those that touch joined."""
    joined = []
    for start, size in sorted(b for blocks in block_lists for b in blocks):
        if joined and joined[-1][0] + joined[-1][1] == start:
            joined[-1][1] += size
        else:
            joined.append([start, size])
    return joined


def whole_space(check, what, failure, held, list_cap):
    """A's failure (its truth) as the whole space's: its half joined with B's half as held."""
    for half, space in (("A's", failure), ("B's", held)):
        check.true(f"{what}: {half} lists are whole", space["holes"] <= list_cap and space["holders_total"] <= list_cap)
    a_start, a_size = failure["managed"]
    check.expect(f"{what}: B's half begins where A's ends", held["managed"][0], a_start + a_size)
    free = join_free_blocks(failure["free_blocks"], held["free_blocks"])
    return dict(failure, free_bytes=sum(size for _, size in free), largest_free_block=max(size for _, size in free),
                holes=len(free), holders=failure["holders"] + held["holders"],
                holders_total=failure["holders_total"] + held["holders_total"],
                spanning=len(free) < len(failure["free_blocks"]) + len(held["free_blocks"]))


def bare(headline):
    return re.search(r"\+0x[0-9a-f]+", headline) is not None


def books_of(bin_dir, socket_path, a, failures):
    """The server's summary once it took in all of A (exited, every failure booked) and named every site."""
    def done():
        p = row(status(bin_dir, socket_path), a.pid)
        return p is not None and p["state"] == "exited" and p.get("alloc_failures", 0) == failures
    wait_for("the server to take in A's run", done, TIMEOUT)

    def symbolized():
        groups = status(bin_dir, socket_path)["allocation_failures"]["failures"]
        return not any(bare(s["headline"]) for g in groups for s in g["holders"] + g["blockers"])
    wait_for("the failures' sites to be symbolized", symbolized, TIMEOUT)
    return status(bin_dir, socket_path)


def scenario(check, bin_dir, work, name, a_workload, b_workload, hold, spans):
    socket_path = os.path.join(work, name + ".sock")
    held_path, a_truth_path = os.path.join(work, name + "-b-held.json"), os.path.join(work, name + "-a.json")
    start_server(bin_dir, socket_path)
    b = sim(bin_dir, socket_path, b_workload, "1/2", "--threads", "1", "--iterations", str(hold + 1),
            "--hold-at-iteration", str(hold), "--hold-truth", held_path)
    try:
        held_truth = wait_at_gate(f"{name}: B", held_path, TIMEOUT)
        held_device = held_truth["devices"][0]["types"]
        want = {t: c["live_bytes"] for t, c in held_device.items() if c["live_bytes"]}
        wait_for(f"{name}: the server to hold what B holds", lambda: live_bytes(status(bin_dir, socket_path)) == want,
                 TIMEOUT)
        a = sim(bin_dir, socket_path, a_workload, "0/2", "--truth-json", a_truth_path)
        _, a_err = a.communicate(timeout=TIMEOUT)
        check.true(f"{name}: A's status", a.returncode == 0, a_err[-2000:])
        with open(a_truth_path) as f:
            truth = json.load(f)
        check.true(f"{name}: A failed", truth["failures_total"] > 0, a_err[-2000:])
        check.expect(f"{name}: every failure kept by the truth", truth["failures_total"], len(truth["failures"]))
        summary = books_of(bin_dir, socket_path, a, truth["failures_total"])
        open_gate(b)
        _, b_err = b.communicate(timeout=TIMEOUT)
        check.true(f"{name}: B's status (its last step after the hold)", b.returncode == 0, b_err[-2000:])
        wait_for(f"{name}: the server to take in B's end",
                 lambda: row(status(bin_dir, socket_path), b.pid)["state"] == "exited", TIMEOUT)
        end = status(bin_dir, socket_path)
    finally:
        stop_all()  # the server, and B or A if a check above gave up on them
    check.expect(f"{name}: B did not fail", row(end, b.pid).get("alloc_failures", 0), 0)
    check.expect(f"{name}: no anomalies", end["anomalies"], {k: 0 for k in end["anomalies"]})
    check.expect(f"{name}: one device", [d["uid"] for d in end["devices"]], [UID])
    l1 = held_device["L1"]["space"]
    true = [whole_space(check, f"{name}: failure {n}", f, l1, truth["list_cap"])
            for n, f in enumerate(truth["failures"])]
    if spans:
        check.true(f"{name}: a hole at the top of A's half and B's free space below its buffers are one hole",
                   any(t["spanning"] for t in true))
    report = {"allocation_failures": dict(summary["allocation_failures"], failures=[
        g for g in summary["allocation_failures"]["failures"] if g["pid"] == a.pid])}
    booked = ledger_failures(report)
    check.true(f"{name}: a failure's holders are both processes'",
               any(len({h["pid"] for h in f["group"]["holders"]}) == 2 for f in booked if f["group"]),
               json.dumps([f["group"]["holders"] for f in booked if f["group"]])[:2000])
    compare_failures(check, name, booked, true, truth["list_cap"])


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            for name, a_workload, b_workload, hold, spans in SCENARIOS:
                print(name)
                scenario(check, bin_dir, work, name, a_workload, b_workload, hold, spans)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
