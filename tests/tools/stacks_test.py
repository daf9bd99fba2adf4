#!/usr/bin/env python3
"""stacks_test.py — allocation stacks end to end (issue 4).

1. Leak sites: `memledger run --summary-json S -- memledger-sim leaky --leaks 6`
   with MEMLEDGER_STACKS=1 (frame pointers) and =unwind (libunwind): exactly
   three sites, whose innermost workload frames are leak_weights,
   leak_kv_cache and leak_activation with file:line in leak_sites.cc, and
   counts summing to 6; memledger's own frames are not in them; each
   headline names its site's caller ("AllocateAndLeak ← leak_weights at
   leak_sites.cc:27", issue 14). The same sites from the capture file
   (`memledger report CAPTURE --leaks`: three headlines, no runtime or
   allocator frame shown but folded, no line over 200 characters;
   --full-stacks shows them) and from the server's leak query
   (`memledger status --json`).
2. Lifecycle log: MEMLEDGER_LOG=F (and TT_BUFFER_DEBUG_LOG=1 alone, which
   writes memledger-PID.log in the working directory): one line per alloc,
   free, CB and kernel event — as many as the allocator's own count — each
   with its thread and symbolized stack.
3. Anomaly sites: with the free hook placed late, every late_free_hook is
   booked at the destructor's free (Buffer::~Buffer, innermost but for the
   release path's own frames) with the
   buffer's allocation stack beside it.
4. Heisenbug: `reuse-storm` with and without stacks gives the same books —
   anomalies, leaks, per device and type totals — over RUNS runs each, with
   the free hook placed correctly (everything exact) and late (everything but
   the late_free_hook count, which depends on thread timing, exact).

usage: stacks_test.py BIN_DIR [--runs N] [--iterations I] [--no-libunwind]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import clean_env
from server_process import start_server, stop, stop_all, symbolized_status

SITES = ("leak_weights", "leak_kv_cache", "leak_activation")


def run_tracked(bin_dir, work, name, sim_args, stacks):
    summary_path = os.path.join(work, name + ".json")
    capture = os.path.join(work, name + ".mlcap")  # in the scratch directory, not ctest's
    env = clean_env(MEMLEDGER_REPORT="0")
    if stacks:
        env["MEMLEDGER_STACKS"] = stacks
    cmd = [os.path.join(bin_dir, "memledger"), "run", "--output", capture, "--summary-json", summary_path, "--",
           os.path.join(bin_dir, "memledger-sim")] + sim_args
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {result.returncode}: {result.stderr[-2000:]}")
    os.remove(capture)
    with open(summary_path) as f:
        return json.load(f)


def leak_sites(bin_dir, work, stacks, failures):
    summary = run_tracked(bin_dir, work, "leaky-" + stacks, ["leaky", "--leaks", "6"], stacks)
    sites = summary["leaks"]["sites"]
    problems = []
    if len(sites) != 3:
        problems.append(f"{len(sites)} sites, want 3")
    if sum(s["buffers"] for s in sites) != 6:
        problems.append(f"buffers sum to {sum(s['buffers'] for s in sites)}, want 6")
    found = []
    for site in sites:
        frames = site["stack"]
        workload = [f for f in frames if re.search(r"\bleak_(weights|kv_cache|activation)\b", f)]
        if not workload:
            problems.append(f"no leak site function in {frames}")
            continue
        innermost = workload[0]
        match = re.search(r"memledger::sim::(leak_\w+)\(.*\) at (\S+):(\d+)$", innermost)
        if not match or not match.group(2).endswith("src/sim/workload/leak_sites.cc") or int(match.group(3)) <= 0:
            problems.append(f"innermost workload frame without function and file:line: {innermost}")
            continue
        found.append(match.group(1))
        if not re.fullmatch(rf"AllocateAndLeak \u2190 {match.group(1)} at leak_sites\.cc:\d+", site["headline"]):
            problems.append(f"headline {site['headline']!r} does not name {match.group(1)} with its line")
        if any("memledger.h" in f or "libmemledger" in f or "CaptureStack" in f for f in frames):
            problems.append(f"memledger's own frames are in the stack: {frames}")
    if sorted(found) != sorted(SITES):
        problems.append(f"sites from {sorted(found)}, want {sorted(SITES)}")
    for p in problems:
        failures.append(f"MEMLEDGER_STACKS={stacks}: {p}")
    print(f"  MEMLEDGER_STACKS={stacks}: {len(sites)} sites from {', '.join(found)}: "
          f"{'ok' if not problems else 'FAILED'}")


def report_leaks(bin_dir, work, failures):
    capture = os.path.join(work, "leaky.mlcap")
    env = clean_env(MEMLEDGER_REPORT="0", MEMLEDGER_STACKS="1")
    subprocess.run([os.path.join(bin_dir, "memledger"), "run", "--output", capture, "--",
                    os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "6"], env=env, check=True,
                   capture_output=True, timeout=300)
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture, "--leaks"], capture_output=True,
                         text=True, timeout=300)
    problems = []
    if out.returncode != 0 or not out.stdout.startswith("leaks: 6 buffers"):
        problems.append(f"exit {out.returncode}: {out.stdout[:200]} {out.stderr[:500]}")
    for site in SITES:
        if not re.search(rf"#\d+ memledger::sim::{site}\(.*\) at \S*leak_sites\.cc:\d+", out.stdout):
            problems.append(f"no frame of {site} with file:line")
    # One line per site, headed by the caller that tells it apart; the
    # runtime's and the allocator's frames folded until --full-stacks.
    headlines = re.findall(r"^  \S+ \S+ in \d+ buffers?: (.*)$", out.stdout, re.M)
    want = [rf"AllocateAndLeak \u2190 {site} at leak_sites\.cc:\d+" for site in SITES]
    if sorted(len([h for h in headlines if re.fullmatch(w, h)]) for w in want) != [1, 1, 1] or len(headlines) != 3:
        problems.append(f"headlines {headlines}, want one each of {want}")
    plumbing = [line for line in out.stdout.splitlines()
                if re.match(r"\s+#\d+ (std::|__invoke|_M_invoke|ReportAlloc|memledger::sim::(Device|Buffer)::)", line)]
    if plumbing:
        problems.append(f"runtime or allocator frames shown: {plumbing[:3]}")
    long_lines = [line for line in out.stdout.splitlines() if len(line) > 200]
    if long_lines:
        problems.append(f"{len(long_lines)} lines over 200 characters: {long_lines[0]}")
    full = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture, "--leaks", "--full-stacks"],
                          capture_output=True, text=True, timeout=300)
    if not re.search(r"#\d+ std::function<.*>::operator\(\)", full.stdout):
        problems.append(f"--full-stacks shows no std::function frame: {full.stdout[:600]}")
    failures.extend(f"memledger report --leaks: {p}" for p in problems)
    print(f"  memledger report --leaks: {'ok' if not problems else 'FAILED'}")


def server_leak_query(bin_dir, work, failures):
    socket = os.path.join(work, "stacks.sock")
    server = start_server(bin_dir, socket)
    program = os.path.join(bin_dir, "memledger-sim")
    try:
        env = clean_env(MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_SOCKET=socket)
        subprocess.run([program, "leaky", "--leaks", "6"], env=env, check=True, capture_output=True, timeout=300)
        # Its symbolizer may take longer than the server waits for it (5 s) on a loaded machine: ask until
        # the program's frames are read.
        sites = symbolized_status(bin_dir, socket, program)["leaks"]["sites"]
    finally:
        stop(server)
    named = sorted(m.group(1) for s in sites for f in s["stack"][:8]
                   for m in [re.search(r"memledger::sim::(leak_\w+)\(", f)] if m)
    if named != sorted(SITES):
        failures.append(f"server leak query: sites from {named}, want {sorted(SITES)}")
    print(f"  the server's leak query: {len(sites)} sites from {', '.join(named)}")


def anomaly_sites(bin_dir, work, failures):
    summary = run_tracked(bin_dir, work, "late-free", ["reuse-storm", "--threads", "2", "--iterations", "20000",
                                                       "--hook-order", "late-free"], "1")
    sites = [s for s in summary["anomaly_sites"] if s["kind"] == "late_free_hook"]
    total = sum(s["count"] for s in sites)
    problems = []
    if total != summary["anomalies"]["late_free_hook"] or total == 0:
        problems.append(f"late_free_hook sites count {total}, anomalies say {summary['anomalies']['late_free_hook']}")
    for site in sites:
        # The free hook sits in the simulator's release path under Buffer::~Buffer
        # (inlined into it in optimized builds, frames of their own in debug ones).
        if not any("Buffer::~Buffer()" in f and "buffer.cc:" in f for f in site["stack"][:4]):
            problems.append(f"the late free does not come from the destructor: {site['stack'][:4]}")
        if not any("Buffer::Allocate" in f for f in site["allocated_at"]):
            problems.append(f"no allocation stack: {site['allocated_at'][:3]}")
    failures.extend(f"anomaly sites: {p}" for p in problems)
    print(f"  late_free_hook: {len(sites)} sites, {total} anomalies: {'ok' if not problems else 'FAILED'}")


def lifecycle_log(bin_dir, work, failures):
    env = clean_env(MEMLEDGER_REPORT="0")
    sim = [os.path.join(os.path.abspath(bin_dir), "memledger-sim"), "leaky", "--leaks", "3", "--iterations", "200"]
    for name, extra in (("MEMLEDGER_LOG", {"MEMLEDGER": "1", "MEMLEDGER_STACKS": "1",
                                           "MEMLEDGER_LOG": os.path.join(work, "lifecycle.log")}),
                        ("TT_BUFFER_DEBUG_LOG", {"TT_ALLOC_TRACKING_ENABLED": "1", "TT_BUFFER_DEBUG_LOG": "1"})):
        truth_path = os.path.join(work, f"log-truth-{name}.json")
        proc = subprocess.Popen(sim + ["--truth-json", truth_path], env=dict(env, **extra), cwd=work,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        _, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(f"{name}: exit {proc.returncode}: {err[-1000:]}")
            continue
        path = extra.get("MEMLEDGER_LOG", os.path.join(work, f"memledger-{proc.pid}.log"))
        if not os.path.exists(path):
            failures.append(f"{name}: no log at {path}")
            continue
        with open(path) as f:
            lines = f.read().splitlines()
        with open(truth_path) as f:
            truth = json.load(f)
        want = truth["allocs"] + truth["frees"]
        problems = []
        if len(lines) != want:
            problems.append(f"{len(lines)} lines, want {want} (one per alloc and free)")
        bad = [l for l in lines if not re.match(r"^\d+\.\d{6} (ALLOC|FREE|CB_ALLOC|CB_FREE|KERNEL_LOAD|KERNEL_UNLOAD) "
                                                r"dev \d+ \S+ id 0x[0-9a-f]+ addr 0x[0-9a-f]+ size \d+ tid \d+ .* at ", l)]
        if bad:
            problems.append(f"{len(bad)} lines without ids, sizes, thread and stack, e.g. {bad[0][:300]}")
        leaks = [l for l in lines if "leak_weights" in l and l.split()[1] == "ALLOC"]
        if not leaks:
            problems.append("no ALLOC line from leak_weights")
        failures.extend(f"{name}: {p}" for p in problems)
        print(f"  {name}: {len(lines)} lines for {want} events: {'ok' if not problems else 'FAILED'}")


def books(summary, timing_dependent):
    """The parts of a summary that must not change when stacks are captured."""
    anomalies = dict(summary["anomalies"])
    for kind in timing_dependent:
        anomalies.pop(kind)
    devices = {d["device"]: {t: {k: v for k, v in c.items() if k in ("allocs", "frees", "leaked_bytes",
                                                                     "leaked_buffers", "live_bytes")}
                             for t, c in d["types"].items()} for d in summary["devices"]}
    sites = {}  # leaks per device, type and tag (with stacks, a site may split by stack)
    for s in summary["leaks"]["sites"]:
        key = f'{s["device"]}/{s["type"]}/{s["tag"]}'
        sites[key] = [sites.get(key, [0, 0])[0] + s["buffers"], sites.get(key, [0, 0])[1] + s["bytes"]]
    return {"anomalies": anomalies, "dropped": summary["dropped_events"], "lost": summary["lost_records"],
            "leaks": (summary["leaks"]["buffers"], summary["leaks"]["bytes"]), "sites": sites, "devices": devices}


def heisenbug(bin_dir, work, runs, iterations, failures):
    for hook_order, timing_dependent in (("correct", ()), ("late-free", ("late_free_hook",))):
        seen = {}
        for stacks in ("", "1"):
            for run in range(runs):
                sim = ["reuse-storm", "--threads", "4", "--iterations", str(iterations), "--leaks", "5",
                       "--hook-order", hook_order]
                summary = run_tracked(bin_dir, work, f"storm-{hook_order}-{stacks}-{run}", sim, stacks)
                key = json.dumps(books(summary, timing_dependent), sort_keys=True)
                seen.setdefault(key, []).append(f"stacks={stacks or 'off'} run {run}")
        if len(seen) != 1:
            failures.append(f"hook order {hook_order}: {len(seen)} different books: " +
                            "; ".join(f"{v[:3]}: {k[:300]}" for k, v in seen.items()))
        print(f"  reuse-storm, hook order {hook_order}: {2 * runs} runs, {len(seen)} distinct books")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--no-libunwind", action="store_true",
                        help="skip MEMLEDGER_STACKS=unwind (under TSan: libunwind's thread-exit destructor locks a "
                             "mutex after TSan has torn the thread down, and TSan crashes)")
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as work:
        try:
            print("leak sites with stacks")
            for stacks in ("1",) if args.no_libunwind else ("1", "unwind"):
                leak_sites(args.bin_dir, work, stacks, failures)
            report_leaks(args.bin_dir, work, failures)
            server_leak_query(args.bin_dir, work, failures)
            print("anomaly sites with both stacks")
            anomaly_sites(args.bin_dir, work, failures)
            print("lifecycle log")
            lifecycle_log(args.bin_dir, work, failures)
            print("the same books with and without stacks")
            heisenbug(args.bin_dir, work, args.runs, args.iterations, failures)
        finally:
            stop_all()
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
