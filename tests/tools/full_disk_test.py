#!/usr/bin/env python3
"""full_disk_test.py — a capture that cannot be written (a real full disk:
a 64 KiB tmpfs, ENOSPC) is never read as a clean run.

1. `memledger run -o FULL/b.mlcap --summary-json S -- memledger-sim leaky
   --leaks 3`: the tracked process says at once, in one line, which file it
   cannot write and why; its exit report is still exact (the allocator's
   truth); the run exits non-zero, says the capture is incomplete, and S
   says so too (the process's books_complete false, its capture_problem,
   state exited; the run section's books_complete false); `memledger
   report` of what was written says its writer could not write the rest.
2. MEMLEDGER_OUTPUT=FULL/e.mlcap without the run: the same line, an exact
   exit report, and the report's last word that this capture is incomplete.
3. --summary-json on a full disk: the run says why it cannot write it
   (strerror), exits non-zero, and leaves no partial file.

Mounting needs privilege: without it the test says why and skips (77).

usage: full_disk_test.py BIN_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

from checks import Checker, check_exit_report, clean_env

BOUND = 600  # seconds; each run takes about two
ENOSPC_TEXT = os.strerror(28)  # "No space left on device"


def mount_tmpfs(path, size):
    os.mkdir(path)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path], capture_output=True,
                            text=True)
    return result.returncode == 0, result.stderr.strip()


def sim(bin_dir, truth):
    # 200,000 rounds: a capture of about 340 KiB (its chunks as columns), far past 64 KiB.
    return [os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "3", "--iterations", "200000",
            "--truth-json", truth]


def failure_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("memledger: cannot write capture file ")]


def check_said_at_once(check, what, stderr):
    lines = failure_lines(stderr)
    check.expect(f"{what}: one line says the capture cannot be written", len(lines), 1)
    check.true(f"{what}: it names the reason", len(lines) == 1 and ENOSPC_TEXT in lines[0], stderr[:3000])
    # Said when it happened, before the exit report (which begins "memledger: pid").
    report_at = stderr.find("memledger: pid ")
    check.true(f"{what}: before the exit report", lines and 0 <= stderr.find(lines[0]) < report_at, stderr[:3000])


def run_case(check, bin_dir, work, full):
    capture, summary_path, truth_path = os.path.join(full, "b.mlcap"), os.path.join(work, "S.json"), \
        os.path.join(work, "run.truth.json")
    run = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "-o", capture, "--summary-json", summary_path,
                          "--"] + sim(bin_dir, truth_path), env=clean_env(), capture_output=True, text=True,
                         timeout=BOUND)
    check.true("run: exits non-zero", run.returncode != 0, run.stderr[-3000:])
    check_said_at_once(check, "run", run.stderr)
    with open(truth_path) as f:
        check_exit_report(check, "run: the exit report", run.stderr, json.load(f))
    check.true("run: says the capture is incomplete",
               "memledger run: the capture of memledger-sim" in run.stderr and "is incomplete" in run.stderr,
               run.stderr[-3000:])
    with open(summary_path) as f:
        summary = json.load(f)
    process = summary["processes"][0] if summary["processes"] else {}
    check.expect("run: summary: the process's books are not complete", process.get("books_complete"), False)
    check.true("run: summary: why", ENOSPC_TEXT in process.get("capture_problem", ""), json.dumps(process))
    check.expect("run: summary: the process exited (it was not killed)", process.get("state"), "exited")
    run_section = summary.get("run", {})
    check.expect("run: summary: the run's books are not complete", run_section.get("books_complete"), False)
    check.expect("run: summary: the capture ended incomplete",
                 [c["ending"] for c in run_section.get("captures", [])], ["incomplete"])
    report = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture], capture_output=True, text=True,
                            timeout=BOUND)
    check.true("run: report says its writer could not write the rest",
               f"its writer could not write the rest ({ENOSPC_TEXT})" in report.stderr, report.stderr[-2000:])
    os.remove(capture)


def embedded_case(check, bin_dir, work, full):
    capture, truth_path = os.path.join(full, "e.mlcap"), os.path.join(work, "embedded.truth.json")
    run = subprocess.run(sim(bin_dir, truth_path), env=clean_env(MEMLEDGER="1", MEMLEDGER_OUTPUT=capture),
                         capture_output=True, text=True, timeout=BOUND)
    check.expect("embedded: exit status", run.returncode, 0)
    check_said_at_once(check, "embedded", run.stderr)
    with open(truth_path) as f:
        check_exit_report(check, "embedded: the exit report", run.stderr, json.load(f))
    check.true("embedded: the report's last word: this capture is incomplete",
               f"memledger: the capture {capture} is incomplete" in run.stderr, run.stderr[-2000:])
    os.remove(capture)


def summary_case(check, bin_dir, work, full):
    summary_path = os.path.join(full, "S.json")
    run = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "-o", os.path.join(work, "fine.mlcap"),
                          "--summary-json", summary_path, "--"] + sim(bin_dir, os.path.join(work, "s.truth.json")),
                         env=clean_env(MEMLEDGER_REPORT="0"), capture_output=True, text=True, timeout=BOUND)
    check.true("summary on a full disk: exits non-zero", run.returncode != 0, run.stderr[-2000:])
    check.true("summary on a full disk: says which file and why",
               any(summary_path in line and ENOSPC_TEXT in line for line in run.stderr.splitlines()),
               run.stderr[-2000:])
    check.expect("summary on a full disk: no partial file", sorted(os.listdir(full)), ["filler"])


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        full = os.path.join(work, "smallfs")
        mounted, why = mount_tmpfs(full, "64k")
        if not mounted:
            print(f"skipped: cannot mount a 64 KiB tmpfs here ({why or 'mount failed'}); this test needs root")
            return 77
        try:
            run_case(check, bin_dir, work, full)
            embedded_case(check, bin_dir, work, full)
            # Full to the last byte: a file grown until the disk refuses.
            with open(os.path.join(full, "filler"), "wb", buffering=0) as filler:
                try:
                    while True:
                        filler.write(b"\0" * 4096)
                except OSError:
                    pass
            summary_case(check, bin_dir, work, full)
        finally:
            subprocess.run(["umount", "-l", full], check=False)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
