#!/usr/bin/env python3
"""drop_policy_test.py — MEMLEDGER_ON_FULL=drop with a ring far too small:
every hook the books miss is counted as dropped, the process still ends
exited (its end record, which carries the count, is not itself dropped), and
the books say they are incomplete — in process (a capture read by `memledger
report`), under `memledger run` and under a server.

Counted on both sides: the allocator's truth file says how many alloc and
free hooks ran; the books hold allocs + frees + unknown and double frees;
the difference must be the drop count, up to the few records that are not
buffer hooks (device open/close, tags) and may be dropped too.

usage: drop_policy_test.py BIN_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import start_server, status, stop_all

NON_BUFFER_RECORDS = 16  # at most: process, device open and close, tags of the storm


def sim_args(truth):
    return ["reuse-storm", "--threads", "4", "--iterations", "100000", "--host-work", "0", "--leaks", "2",
            "--truth-json", truth]


def env_with(**extra):
    return clean_env(MEMLEDGER_ON_FULL="drop", MEMLEDGER_RING_SIZE="64K", MEMLEDGER_REPORT="0", **extra)


def check_books(check, what, summary, truth_path):
    with open(truth_path) as f:
        truth = json.load(f)
    process = summary["processes"][0]
    types = [t for d in summary["devices"] for t in d["types"].values()]
    booked = (sum(t["allocs"] + t["frees"] for t in types) + summary["anomalies"]["unknown_free"] +
              summary["anomalies"]["double_free"])
    issued = truth["allocs"] + truth["frees"]
    dropped = summary["dropped_events"]
    print(f"  {what}: {issued} buffer hooks, {booked} booked, {dropped} dropped")
    check.true(f"{what}: the ring was too small (records were dropped)", dropped > 0)
    check.true(f"{what}: every hook not booked is counted dropped ({issued - booked} <= {dropped} <= "
               f"{issued - booked} + {NON_BUFFER_RECORDS})", issued - booked <= dropped <= issued - booked + NON_BUFFER_RECORDS)
    check.expect(f"{what}: the process ended exited", process["state"], "exited")
    check.expect(f"{what}: the books say they are incomplete", process["books_complete"], False)


def main():
    bin_dir = sys.argv[1]
    sim = os.path.join(bin_dir, "memledger-sim")
    memledger = os.path.join(bin_dir, "memledger")
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            # In process, with a capture file.
            capture, truth = os.path.join(work, "embedded.mlcap"), os.path.join(work, "embedded.json")
            run = subprocess.run([sim] + sim_args(truth), env=env_with(MEMLEDGER="1", MEMLEDGER_OUTPUT=capture),
                                 capture_output=True, text=True, timeout=600)
            check.expect("embedded: exit status", run.returncode, 0)
            report = subprocess.run([memledger, "report", capture, "--json"], capture_output=True, text=True,
                                    timeout=600)
            check_books(check, "embedded", json.loads(report.stdout), truth)
            text = subprocess.run([memledger, "report", capture], capture_output=True, text=True, timeout=600).stdout
            check.true("embedded: the text report says the leaks are unverified",
                       "leaks: " in text and "(unverified:" in text.split("leaks: ", 1)[1].split("\n", 1)[0], text[:2000])

            # memledger run.
            capture, truth = os.path.join(work, "run.mlcap"), os.path.join(work, "run.json")
            summary_path = os.path.join(work, "run-summary.json")
            run = subprocess.run([memledger, "run", "-o", capture, "--summary-json", summary_path, "--", sim] +
                                 sim_args(truth), env=env_with(), capture_output=True, text=True, timeout=600)
            check.expect("memledger run: exit status", run.returncode, 0)
            with open(summary_path) as f:
                check_books(check, "memledger run", json.load(f), truth)

            # A server.
            socket = os.path.join(work, "drop.sock")
            start_server(bin_dir, socket)
            truth = os.path.join(work, "server.json")
            run = subprocess.run([sim] + sim_args(truth), env=env_with(MEMLEDGER="1", MEMLEDGER_SOCKET=socket),
                                 capture_output=True, text=True, timeout=600)
            check.expect("server: exit status", run.returncode, 0)
            check_books(check, "server", status(bin_dir, socket), truth)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
