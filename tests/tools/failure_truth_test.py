#!/usr/bin/env python3
"""failure_truth_test.py — issue 16's must-show: at every allocation failure
of the simulator's `fragment`, `cb-clash` and `llm --oom` workloads (8
threads over 2 devices, stacks on), the ledger's verdict, free bytes,
largest free block and holes equal the allocator's own truth at that moment
(`--truth-json`), and the sites the ledger names as holders (and, for a CB
clash, as the L1 buffers below the region) are the sites that truly held
the blocks. The simulator hooks under its allocators' locks, so the books
at a failure are exactly the allocator's.

usage: failure_truth_test.py BIN_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env

WORKLOADS = [
    ("fragment", ["fragment", "--threads", "8", "--devices", "2"]),
    ("cb-clash", ["cb-clash", "--threads", "8", "--devices", "2"]),
    ("llm --oom", ["llm", "--oom", "--threads", "8", "--devices", "2", "--iterations", "400"]),
]
FIGURES = [("free_bytes", "free_bytes"), ("largest_free_block_bytes", "largest_free_block"), ("holes", "holes")]


def site_of(entry, sites):
    """The workload site of a holder or blocker the report names: the innermost frame of its stack that is one
    of `sites` (the truth's: the workload functions that allocate); else, a site the truth does not know, its
    headline's function ("AllocateL1 ← allocate_scratch at fragment.cc:50": allocate_scratch). A headline names
    a site by its first frames in the program (AllocateL1), and by its callers only where they tell sites apart."""
    # A frame's function is qualified ("memledger::sim::(anonymous namespace)::allocate_scratch"); the truth's
    # sites are bare names.
    frames = [line.split(" at ")[0].rsplit("::", 1)[-1] for line in entry["stack"]]
    return next((f for f in frames if f in sites), entry["headline"].split(" at ")[0].split(" \u2190 ")[-1].strip())


def ledger_failures(report):
    """Every failure the report keeps, in booking order, with its group's verdict and sites."""
    out = []
    for group in report["allocation_failures"]["failures"]:
        for i, one in enumerate(group["each"]):
            out.append(dict(one, verdict=group["verdict"], device=group["device"], type=group["type"],
                            group=group if i == 0 else None))
    return sorted(out, key=lambda f: f["seq"])


def by_device(failures):
    devices = {}
    for f in failures:
        devices.setdefault(f["device"], []).append(f)
    return devices


def check_workload(check, bin_dir, work, name, args):
    capture, truth_path = os.path.join(work, "w.mlcap"), os.path.join(work, "truth.json")
    run = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "-o", capture, "--",
                          os.path.join(bin_dir, "memledger-sim")] + args + ["--truth-json", truth_path],
                         env=clean_env(MEMLEDGER_STACKS="1"), capture_output=True, text=True, timeout=600)
    check.expect(f"{name}: the tracked run's status", run.returncode, 0)
    report = json.loads(subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture, "--json"],
                                       capture_output=True, text=True, timeout=600, check=True).stdout)
    with open(truth_path) as f:
        truth = json.load(f)
    check.true(f"{name}: the workload failed", truth["failures_total"] > 0, run.stderr[-2000:])
    check.expect(f"{name}: every failure kept by the truth", truth["failures_total"], len(truth["failures"]))
    check.expect(f"{name}: every failure booked", report["allocation_failures"]["total"], truth["failures_total"])
    check.expect(f"{name}: no anomalies", report["anomalies"], {k: 0 for k in report["anomalies"]})
    booked = by_device(ledger_failures(report))
    true = by_device([dict(f, index=i) for i, f in enumerate(truth["failures"])])
    check.expect(f"{name}: the devices that failed", sorted(booked), sorted(true))
    for device in sorted(true):
        compare_failures(check, f"{name}: device {device}", booked.get(device, []), true[device], truth["list_cap"])


def compare_failures(check, what, mine, theirs, list_cap):
    """Each failure the ledger booked (ledger_failures, in order) against the truth's at that moment."""
    check.expect(f"{what}'s failures", len(mine), len(theirs))
    for n, (m, t) in enumerate(zip(mine, theirs)):
        one = f"{what} failure {n}"
        check.expect(f"{one}: type", m["type"], t["type"])
        check.expect(f"{one}: size", m["size"], t["size"])
        check.expect(f"{one}: extent", m["extent"], t["extent"] or t["size"])  # 0: the size
        check.expect(f"{one}: verdict", m["verdict"], t["verdict"])
        for mine_key, truth_key in FIGURES:
            check.expect(f"{one}: {mine_key}", m.get(mine_key), t[truth_key])
        group = m["group"]
        if group is None:
            continue  # its group's first failure names the sites
        sites = {h["site"] for h in t["holders"]}
        if t["holders_total"] <= list_cap:
            true_sites = sorted(sites)
            named = sorted({site_of(h, sites) for h in group["holders"]})
            check.expect(f"{one}: holder sites", named, true_sites)
            check.expect(f"{one}: no holder left out", group["more_holders"], 0)
        if t["verdict"] == "cb_clash":
            below = sorted({b["site"] for b in t["below"]})
            check.expect(f"{one}: the L1 buffers below the CB region, by site",
                         sorted({site_of(b, sites) for b in group["blockers"]}), below)
            check.true(f"{one}: each outliving buffer says its mark",
                       all(b["mark"] for b in group["blockers"]), json.dumps(group["blockers"])[:2000])


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        for name, args in WORKLOADS:
            print(name)
            check_workload(check, bin_dir, work, name, args)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
