#!/usr/bin/env python3
"""fail_on_test.py — the gate for CI: `memledger run --fail-on ...` and
`memledger report CAPTURE --fail-on ...` exit with status 3 exactly when the
books show a kind named (leaks, anomalies, dropped) — each kind found said
on a line of stderr — and still print the report; without --fail-on, or
with books that show none of the kinds named, the exit status is what it
was (0); a program's own non-zero status comes first. Real runs of the
simulator: a leaky one, a clean one, one with a free hook placed too late
(anomalies), one with a ring far too small under MEMLEDGER_ON_FULL=drop
(whether it dropped is read from its summary: the gate must agree).

usage: fail_on_test.py BIN_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import checks
from checks import Checker

BOUND = 600  # seconds: a hang bound, never a measure
GATE = 3


def run(args, **env):
    return subprocess.run(args, env=checks.clean_env(**env), capture_output=True, text=True, timeout=BOUND)


def gate_lines(stderr, command):
    return [line for line in stderr.splitlines() if line.startswith(f"{command}: --fail-on: ")]


def found(summary):
    """What the summary's books show, by --fail-on kind."""
    leaked = sum(p["leaked_buffers"] for p in summary["processes"])
    return {"leaks": leaked != 0, "anomalies": any(summary["anomalies"].values()),
            "dropped": summary["dropped_events"] != 0}


def main():
    bin_dir = sys.argv[1]
    memledger = os.path.join(bin_dir, "memledger")
    sim = os.path.join(bin_dir, "memledger-sim")
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        def tracked(name, sim_args, fail_on=None, **env):
            capture, summary = os.path.join(work, name + ".mlcap"), os.path.join(work, name + ".json")
            gate = ["--fail-on", fail_on] if fail_on else []
            out = run([memledger, "run", "-o", capture, "--summary-json", summary] + gate + ["--", sim] + sim_args,
                      **env)
            with open(summary) as f:
                return out, capture, json.load(f)

        # Leaks: the gate trips, the exit report is still printed, one line says what.
        out, leaky, summary = tracked("leaky", ["leaky", "--leaks", "4"], "leaks,anomalies")
        check.true("leaky: the books show leaks", found(summary)["leaks"], json.dumps(summary)[:2000])
        check.expect("run --fail-on leaks,anomalies, leaky: exit status", out.returncode, GATE)
        lines = gate_lines(out.stderr, "memledger run")
        check.true("run: one line, for the leaks, with their count and the status",
                   len(lines) == 1 and lines[0].startswith("memledger run: --fail-on: leaks: 4 buffers (") and
                   lines[0].endswith("; exit status 3"), out.stderr[-3000:])
        check.true("run: the exit report is still printed", "leaks:" in out.stderr and "anomalies: none" in out.stderr,
                   out.stderr[-3000:])

        # The same run without --fail-on, or with a gate its books pass: status 0 as before.
        out, _, _ = tracked("leaky-ungated", ["leaky", "--leaks", "4"])
        check.expect("run without --fail-on, leaky: exit status", out.returncode, 0)
        check.true("run without --fail-on: no gate line", not gate_lines(out.stderr, "memledger run"), out.stderr[-2000:])
        out, _, summary = tracked("leaky-anomalies", ["leaky", "--leaks", "4"], "anomalies,dropped")
        check.true("leaky: no anomaly, nothing dropped", not found(summary)["anomalies"] and not found(summary)["dropped"],
                   json.dumps(summary)[:2000])
        check.expect("run --fail-on anomalies,dropped, leaky: exit status", out.returncode, 0)

        # Anomalies: the free hook placed after the memory went back.
        late = ["reuse-storm", "--threads", "2", "--iterations", "2000", "--leaks", "0", "--hook-order", "late-free"]
        out, late_capture, summary = tracked("late", late, "anomalies")
        check.true("late free hook: the books show anomalies, no leak",
                   found(summary)["anomalies"] and not found(summary)["leaks"], json.dumps(summary)[:2000])
        check.expect("run --fail-on anomalies, late free hook: exit status", out.returncode, GATE)
        lines = gate_lines(out.stderr, "memledger run")
        check.true("run: the anomalies' line names their kind",
                   len(lines) == 1 and lines[0].startswith("memledger run: --fail-on: anomalies: ") and
                   "late_free_hook" in lines[0], out.stderr[-3000:])
        out, _, _ = tracked("late-leaks", late, "leaks")
        check.expect("run --fail-on leaks, late free hook without leaks: exit status", out.returncode, 0)

        # A program's own failure comes first; the gate's line is still said.
        script = f"'{sim}' leaky --leaks 2; exit 5"
        out = run([memledger, "run", "-o", os.path.join(work, "failing.mlcap"), "--fail-on", "leaks", "--",
                   "sh", "-c", script])
        check.expect("run --fail-on leaks, program exits 5: exit status", out.returncode, 5)
        check.true("run, program exits 5: the gate's line said", len(gate_lines(out.stderr, "memledger run")) == 1,
                   out.stderr[-2000:])

        # Dropped: whatever the ring dropped this time, the gate agrees with the books.
        storm = ["reuse-storm", "--threads", "4", "--iterations", "100000", "--host-work", "0", "--leaks", "0"]
        out, dropped_capture, summary = tracked("drop", storm, "dropped", MEMLEDGER_ON_FULL="drop",
                                                MEMLEDGER_RING_SIZE="64K", MEMLEDGER_REPORT="0")
        dropped = found(summary)["dropped"]
        check.expect(f"run --fail-on dropped ({summary['dropped_events']} dropped): exit status", out.returncode,
                     GATE if dropped else 0)
        check.expect("run --fail-on dropped: a line when it dropped",
                     len(gate_lines(out.stderr, "memledger run")), 1 if dropped else 0)

        # memledger report: the same gate over a capture, the report printed first.
        report = run([memledger, "report", leaky, "--fail-on", "leaks"])
        check.expect("report --fail-on leaks, leaky: exit status", report.returncode, GATE)
        check.true("report: the report printed", "leaks:" in report.stdout and "peak" in report.stdout,
                   report.stdout[:2000])
        check.true("report: a line for the leaks",
                   [line.split(" (", 1)[0] for line in gate_lines(report.stderr, "memledger report")] ==
                   ["memledger report: --fail-on: leaks: 4 buffers"], report.stderr)
        report = run([memledger, "report", leaky, "--json", "--fail-on", "leaks"])
        check.expect("report --json --fail-on leaks, leaky: exit status", report.returncode, GATE)
        check.expect("report --json --fail-on: the JSON printed", json.loads(report.stdout)["leaks"]["buffers"], 4)
        report = run([memledger, "report", leaky])
        check.expect("report without --fail-on, leaky: exit status", report.returncode, 0)
        report = run([memledger, "report", leaky, "--fail-on", "anomalies,dropped"])
        check.expect("report --fail-on anomalies,dropped, leaky: exit status", report.returncode, 0)
        # Books ending at --until 0: what is live then is not leaked.
        report = run([memledger, "report", leaky, "--until", "0", "--fail-on", "leaks"])
        check.expect("report --until 0 --fail-on leaks: exit status (live, not leaks)", report.returncode, 0)
        report = run([memledger, "report", late_capture, "--fail-on", "leaks,anomalies"])
        check.expect("report --fail-on leaks,anomalies, late free hook: exit status", report.returncode, GATE)
        check.true("report, late free hook: only the anomalies' line",
                   [line.split(":", 3)[2] for line in gate_lines(report.stderr, "memledger report")] == [" anomalies"],
                   report.stderr)
        report = run([memledger, "report", dropped_capture, "--fail-on", "dropped"])
        check.expect("report --fail-on dropped: exit status as the run's books say", report.returncode,
                     GATE if dropped else 0)

        # A word the gate does not know is refused, and the known ones are listed.
        out = run([memledger, "report", leaky, "--fail-on", "leak"])
        check.expect("--fail-on leak: exit status (a command line it cannot read)", out.returncode, 2)
        check.true("--fail-on leak: the words it takes said", "leaks" in out.stderr and "anomalies" in out.stderr,
                   out.stderr)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
