#!/usr/bin/env python3
"""run_tree_test.py — `memledger run` over a process tree books every tracked
process, each exactly.

Three tracked programs (memledger-sim, each with its own --truth-json and
its own number of leaks, by which its books are told apart) under one
`memledger run -o out.mlcap --summary-json S -- sh -c ...`:

1. sequential: `a; b; c`;
2. parallel: `a & b & c & wait`;
3. orphaned: c double-forks away (`( (...; c) & )`: the subshell that
   forked it exits at once) and starts only once the shell the run started
   has exited (it polls the shell's pid, $$): the run waits for it too;
4. preloaded: libmemledger in LD_PRELOAD, so that the shells and `true`
   track too: having booked nothing, they leave no capture.

For each: the run exits 0 and names three capture files, out.mlcap and two
beside it (out.<comm>.<pid>.mlcap); each file, replayed alone (`memledger
report --json`), holds one process whose allocs, frees and leaks per device
and type equal its truth; the summary holds the three processes, each with
its own leaks, the devices' totals are the truths' sums, and its "run"
section says every capture is whole.

usage: run_tree_test.py BIN_DIR
"""
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

from checks import Checker, clean_env

BOUND = 600  # seconds; each tree takes a few
LEAKS = (1, 2, 3)  # per program: how its books are told apart


def sim_command(bin_dir, work, case, leaks):
    truth = os.path.join(work, f"{case}.truth{leaks}.json")
    workload = "reuse-storm" if leaks == 3 else "leaky"
    return (f"{shlex.quote(os.path.join(bin_dir, 'memledger-sim'))} {workload} --leaks {leaks} --iterations 3000 "
            f"--truth-json {shlex.quote(truth)}"), truth


def type_books(summary):
    """(device, type) -> (allocs, frees, leaked buffers, leaked bytes)."""
    return {(d["device"], name): (t["allocs"], t["frees"], t["leaked_buffers"], t["leaked_bytes"])
            for d in summary["devices"] for name, t in d["types"].items()}


def truth_books(truths):
    """The same, from truth files: allocs and frees per type are not in a
    truth, only its totals; what each process held at its end is its leaks."""
    books = {}
    for truth in truths:
        for device in truth["devices"]:
            for name, live in device["types"].items():
                key = (device["device"], name)
                buffers, size = books.get(key, (0, 0))
                books[key] = (buffers + live["live_buffers"], size + live["live_bytes"])
    return books


def check_leaks(check, what, summary, truths):
    booked = type_books(summary)
    for key, (buffers, size) in sorted(truth_books(truths).items()):
        got = booked.get(key, (0, 0, 0, 0))
        check.expect(f"{what}: device {key[0]} {key[1]} leaked buffers", got[2], buffers)
        check.expect(f"{what}: device {key[0]} {key[1]} leaked bytes", got[3], size)
    check.expect(f"{what}: allocs", sum(b[0] for b in booked.values()), sum(t["allocs"] for t in truths))
    check.expect(f"{what}: frees", sum(b[1] for b in booked.values()), sum(t["frees"] for t in truths))
    for kind, count in summary["anomalies"].items():
        check.expect(f"{what}: anomaly {kind}", count, 0)


def check_tree(check, bin_dir, work, case, script, **env_extra):
    out = os.path.join(work, case, "out.mlcap")
    os.mkdir(os.path.dirname(out))
    summary_path = os.path.join(work, case + ".summary.json")
    commands, truth_paths = zip(*(sim_command(bin_dir, work, case, leaks) for leaks in LEAKS))
    env = clean_env(MEMLEDGER_REPORT="0", **env_extra)
    run = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "-o", out, "--summary-json", summary_path, "--",
                          "sh", "-c", script.format(*commands)], env=env, capture_output=True, text=True,
                         timeout=BOUND)
    print(f"{case}: exit status {run.returncode}")
    check.expect(f"{case}: exit status", run.returncode, 0)
    if run.returncode != 0:
        print(run.stderr[-3000:])
        return
    truths = []
    for path in truth_paths:
        with open(path) as f:
            truths.append(json.load(f))
    files = sorted(glob.glob(os.path.join(os.path.dirname(out), "*.mlcap")))
    check.expect(f"{case}: capture files", len(files), 3)
    check.true(f"{case}: one at --output", out in files, str(files))
    for path in files:
        check.true(f"{case}: the run names {os.path.basename(path)}", path in run.stderr, run.stderr[-3000:])
        if path != out:
            name = os.path.basename(path)
            check.true(f"{case}: {name} is named out.<comm>.<pid>.mlcap",
                       name.startswith("out.memledger-sim.") and name.split(".")[2].isdigit(), name)

    # Each file alone: one process, equal to the truth with its number of leaks.
    for path in files:
        report = subprocess.run([os.path.join(bin_dir, "memledger"), "report", path, "--json"], capture_output=True,
                                text=True, timeout=BOUND)
        check.expect(f"{case}: report {os.path.basename(path)}", report.returncode, 0)
        if report.returncode != 0:
            continue
        alone = json.loads(report.stdout)
        leaked = alone["leaks"]["buffers"]
        check.true(f"{case}: {os.path.basename(path)} leaks as one of the programs", leaked in LEAKS, str(leaked))
        if leaked in LEAKS:
            check_leaks(check, f"{case}: {os.path.basename(path)}", alone, [truths[LEAKS.index(leaked)]])
            check.expect(f"{case}: {os.path.basename(path)} ended exited", alone["processes"][0]["state"], "exited")

    # The summary: the three processes, each its own leaks; the devices, their sums.
    with open(summary_path) as f:
        summary = json.load(f)
    processes = summary["processes"]
    check.expect(f"{case}: processes in the summary", len(processes), 3)
    check.expect(f"{case}: each process's leaks", sorted(p["leaked_buffers"] for p in processes), list(LEAKS))
    for p in processes:
        if p["leaked_buffers"] in LEAKS:
            check.expect(f"{case}: pid {p['pid']} leaked bytes", p["leaked_bytes"],
                         truths[LEAKS.index(p["leaked_buffers"])]["leaked"]["bytes"])
        check.expect(f"{case}: pid {p['pid']} books complete", p["books_complete"], True)
    check_leaks(check, f"{case}: summary", summary, truths)
    check.expect(f"{case}: the run's books are complete", summary.get("run", {}).get("books_complete"), True)
    check.expect(f"{case}: every capture whole", [c["ending"] for c in summary.get("run", {}).get("captures", [])],
                 ["whole"] * 3)


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        check_tree(check, bin_dir, work, "sequential", "{0}; {1}; {2}")
        check_tree(check, bin_dir, work, "parallel", "{0} & {1} & {2} & wait")
        # A subshell forks the third program's list and exits at once: the
        # list is orphaned, comes to the run, and starts the program only once
        # the shell is gone ($$ is the shell's pid in its subshells too), however
        # long the first two take.
        check_tree(check, bin_dir, work, "orphaned",
                   "( (while kill -0 $$ 2>/dev/null; do sleep 0.05; done; {2}) & ); {0}; {1}")
        # libmemledger preloaded into every process (as --cuda preloads the
        # interposer): the shells and `true` track too, book nothing, and
        # leave no capture; the three programs keep theirs.
        # (A sanitized library preloaded into an unsanitized shell: its runtime comes late, which ASan allows
        # when told to.)
        library = os.path.join(os.path.dirname(os.path.realpath(bin_dir)), "lib", "libmemledger.so")
        asan_options = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0"]))
        check_tree(check, bin_dir, work, "preloaded", "true; {0}; sh -c '{1}'; {2}", LD_PRELOAD=library,
                   ASAN_OPTIONS=asan_options)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
