#!/usr/bin/env python3
"""exactness_test.py — the ledger is exact under maximal address reuse.

Runs `memledger run -- memledger-sim reuse-storm ... --truth-json T` several
times with each hook order and checks the summary against the allocator's own
truth: the same leaks per device and type, no dropped events, no false
anomalies; late_free_hook > 0 exactly when the free hook is placed late.

usage: exactness_test.py BIN_DIR --runs N --threads T --iterations I --leaks K
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from checks import clean_env


def check_run(bin_dir, work, hook_order, args, run):
    summary_path = os.path.join(work, f"summary-{hook_order}-{run}.json")
    truth_path = os.path.join(work, f"truth-{hook_order}-{run}.json")
    capture_path = os.path.join(work, f"capture-{hook_order}-{run}.mlcap")
    cmd = [os.path.join(bin_dir, "memledger"), "run", "--output", capture_path, "--summary-json", summary_path, "--",
           os.path.join(bin_dir, "memledger-sim"), "reuse-storm", "--threads", str(args.threads), "--iterations",
           str(args.iterations), "--leaks", str(args.leaks), "--seed", str(run + 1), "--hook-order", hook_order,
           "--truth-json", truth_path]
    env = clean_env(MEMLEDGER_REPORT="0")
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        return [f"exit status {result.returncode}: {result.stderr[-2000:]}"]
    with open(summary_path) as f:
        summary = json.load(f)
    with open(truth_path) as f:
        truth = json.load(f)
    os.remove(capture_path)

    problems = []
    def expect(what, got, want):
        if got != want:
            problems.append(f"{what}: got {got}, want {want}")

    expect("schema", summary["schema"], "memledger.summary/1")
    expect("dropped_events", summary["dropped_events"], 0)
    expect("lost_records", summary["lost_records"], 0)
    expect("leaked buffers", summary["leaks"]["buffers"], truth["leaked"]["buffers"])
    expect("leaked bytes", summary["leaks"]["bytes"], truth["leaked"]["bytes"])
    expect("leaked buffers == --leaks", truth["leaked"]["buffers"], args.leaks)
    anomalies = summary["anomalies"]
    for kind in ("unknown_free", "double_free", "double_alloc", "overlap", "invalid_events"):
        expect(kind, anomalies[kind], 0)
    if hook_order == "late-free":
        if anomalies["late_free_hook"] <= 0:
            problems.append("late_free_hook: got 0, want > 0 (the late free hook went unseen)")
    else:
        expect("late_free_hook", anomalies["late_free_hook"], 0)

    allocs = sum(t["allocs"] for d in summary["devices"] for t in d["types"].values())
    frees = sum(t["frees"] for d in summary["devices"] for t in d["types"].values())
    expect("allocs", allocs, truth["allocs"])
    expect("frees", frees, truth["frees"])
    ledger_devices = {d["device"]: d["types"] for d in summary["devices"]}
    for device in truth["devices"]:
        for type_name, live in device["types"].items():
            booked = ledger_devices.get(device["device"], {}).get(type_name, {})
            expect(f"device {device['device']} {type_name} leaked_bytes", booked.get("leaked_bytes", 0),
                   live["live_bytes"])
            expect(f"device {device['device']} {type_name} leaked_buffers", booked.get("leaked_buffers", 0),
                   live["live_buffers"])
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--leaks", type=int, default=5)
    parser.add_argument("--hook-order", choices=["correct", "late-free", "both"], default="both")
    args = parser.parse_args()
    orders = ["correct", "late-free"] if args.hook_order == "both" else [args.hook_order]
    failures = 0
    with tempfile.TemporaryDirectory() as work:
        for hook_order in orders:
            for run in range(args.runs):
                problems = check_run(args.bin_dir, work, hook_order, args, run)
                status = "ok" if not problems else "FAILED"
                print(f"{hook_order} run {run + 1}: {status}")
                for p in problems:
                    print(f"  {p}")
                failures += bool(problems)
    total = len(orders) * args.runs
    print(f"{total - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
