#!/usr/bin/env python3
"""exit_report_test.py — the exit report of a tracked program, whose books
libmemledger.so formats through the report layer it loads
(libmemledger_report.so in memledger/ beside it: src/client/report_layer_loader.h).
memledger-sim leaky leaks 3 buffers at 3 sites, stacks on, in embedded mode.

1. From the build tree: the exit report is the books `memledger report`
   prints from the same run's capture, line for line, with each leak's
   stack symbolized (leak_weights, leak_kv_cache, leak_activation at
   leak_sites.cc:LINE); the lifecycle log's stacks are symbolized too.
2. libmemledger.so alone in a directory (no memledger/ beside it): the
   program ends as before (exit 0); one line says the report layer did not
   load and where it was looked for, then the books in short (3 buffers
   leaked, their bytes, no anomaly); the lifecycle log says it cannot be
   written; the capture is whole (`memledger report` symbolizes it).
3. A layer of another build beside it: refused, the line naming both
   builds' versions.

usage: exit_report_test.py BIN_DIR LIBMEMLEDGER_SO OTHER_BUILD_LAYER
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402

SITES = ("leak_weights", "leak_kv_cache", "leak_activation")
NO_LAYER = "memledger: no full exit report: the report layer did not load ("


def run(args, env=None):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)


def tracked_leaky(bin_dir, work, name, library_dir=None):
    """memledger-sim leaky tracked in process, stacks on, with a capture and
    a lifecycle log; libmemledger.so from `library_dir` when given."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MEMLEDGER") and k not in ("TT_ALLOC_TRACKING_ENABLED", "TT_BUFFER_DEBUG_LOG")}
    capture, log = os.path.join(work, name + ".mlcap"), os.path.join(work, name + ".log")
    env.update(MEMLEDGER="1", MEMLEDGER_SOCKET="none", MEMLEDGER_STACKS="1", MEMLEDGER_OUTPUT=capture,
               MEMLEDGER_LOG=log)
    if library_dir:
        # Before the build tree in memledger-sim's RUNPATH.
        env["LD_LIBRARY_PATH"] = library_dir
    out = run([os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "3"], env=env)
    return out, capture, log


def report_of(bin_dir, capture):
    return run([os.path.join(bin_dir, "memledger"), "report", capture])


def from_the_build_tree(check, bin_dir, work):
    out, capture, log = tracked_leaky(bin_dir, work, "build-tree")
    check.expect("build tree: exit status", out.returncode, 0)
    check.true("build tree: the report layer loaded", NO_LAYER not in out.stderr, out.stderr[-3000:])
    report = [line for line in out.stderr.splitlines()
              if not line.startswith(("memledger: lifecycle log written", "memledger: capture written"))]
    replayed = report_of(bin_dir, capture)
    check.expect("build tree: memledger report", replayed.returncode, 0)
    check.true("build tree: the exit report is the books memledger report prints from the capture",
               len(report) > 10 and replayed.stdout.splitlines()[:len(report)] == report,
               "exit report:\n" + "\n".join(report[:30]) + "\nmemledger report:\n" + replayed.stdout[:3000])
    for site in SITES:
        frame = re.compile(rf"^      #\d+ memledger::sim::{site}\(.*\) at .*leak_sites\.cc:\d+$", re.M)
        check.true(f"build tree: the exit report symbolizes {site}'s stack", frame.search(out.stderr),
                   out.stderr[-3000:])
    lines = []
    if os.path.exists(log):
        with open(log) as f:
            lines = f.read().splitlines()
    check.true("build tree: the lifecycle log's stacks are symbolized",
               any(re.search(r" at .*leak_sites\.cc:\d+", line) for line in lines), "\n".join(lines[:5]))


def without_the_layer(check, bin_dir, work, library):
    alone = os.path.join(work, "alone")
    os.makedirs(alone)
    shutil.copy(library, os.path.join(alone, "libmemledger.so.0"))
    out, capture, _ = tracked_leaky(bin_dir, work, "alone", alone)
    check.expect("alone: exit status", out.returncode, 0)
    lines = out.stderr.splitlines()
    said = [i for i, line in enumerate(lines) if line.startswith(NO_LAYER)]
    check.expect("alone: one line says the report layer did not load", len(said), 1)
    if said:
        check.true("alone: it names where the layer was looked for",
                   os.path.join(alone, "memledger", "libmemledger_report.so") in lines[said[0]], lines[said[0]])
    summary = run([os.path.join(bin_dir, "memledger"), "report", capture, "--json"])
    check.expect("alone: the capture is whole (memledger report --json)", summary.returncode, 0)
    leaks = json.loads(summary.stdout)["leaks"] if summary.returncode == 0 else {"bytes": -1}
    short = re.compile(rf"^memledger: pid \d+ exited: \d+ events, 3 buffers leaked \({leaks['bytes']} bytes\), "
                       r"0 anomalies$")
    check.true("alone: then the books in short", said and len(lines) > said[0] + 1 and short.match(lines[said[0] + 1]),
               out.stderr[-3000:])
    check.true("alone: the lifecycle log says it cannot be written",
               re.search(r"^memledger: cannot write the lifecycle log .* without the report layer: .*; "
                         r"tracking goes on without it$", out.stderr, re.M), out.stderr[-3000:])
    check.true("alone: no stack in the exit report", "#0 " not in out.stderr, out.stderr[-3000:])
    replayed = report_of(bin_dir, capture)
    check.true("alone: memledger report symbolizes the capture's leaks",
               replayed.returncode == 0 and all(site in replayed.stdout for site in SITES), replayed.stdout[:3000])
    return alone


def another_build(check, bin_dir, work, alone, other_layer):
    os.makedirs(os.path.join(alone, "memledger"))
    shutil.copy(other_layer, os.path.join(alone, "memledger", "libmemledger_report.so"))
    out, _, _ = tracked_leaky(bin_dir, work, "other-build", alone)
    check.expect("another build: exit status", out.returncode, 0)
    check.true("another build: refused, naming both builds",
               re.search(r"^memledger: no full exit report: the report layer did not load \(.*libmemledger_report\.so "
                         r"is of another build \(memledger 9\.8\.7, .*\) than this libmemledger\.so "
                         r"\(memledger \d+\.\d+\.\d+, .*\); it belongs", out.stderr, re.M), out.stderr[-3000:])


def main():
    bin_dir, library, other_layer = sys.argv[1:4]
    check = Checker()
    with tempfile.TemporaryDirectory(prefix="memledger-exit-report-") as work:
        from_the_build_tree(check, bin_dir, work)
        alone = without_the_layer(check, bin_dir, work, library)
        another_build(check, bin_dir, work, alone, other_layer)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
