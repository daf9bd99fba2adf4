#!/usr/bin/env python3
"""test_guard_test.py — the guard every process test runs under (test_guard.cc):
a test that exits with a process left holding its output ends at once, with
its own exit status, the leftover killed and named; a test that outlasts its
SECONDS is ended with status 124 and its processes and threads listed; a guard
whose runner dies, or that is told to end, ends its test's processes.

usage: test_guard_test.py GUARD
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def main():
    guard = sys.argv[1]
    check = Checker()
    # The leftover holds the guard's stdout: were it not killed, communicate() would wait 300 s
    # (the timeout below only bounds a broken guard).
    # The test exits once its leftover has exec'd (its command line read whole), not while it is
    # between fork and exec, when the guard can only name it "[sleep]" (1 run in a few hundred).
    run = subprocess.run([guard, "600", "sh", "-c",
                          "sleep 300 & until grep -q 300 /proc/$!/cmdline 2>/dev/null; do :; done; echo $!; exit 3"],
                         capture_output=True,
                         text=True, timeout=120)
    leftover = int(run.stdout.split()[0])
    check.expect("exits as the test did", run.returncode, 3)
    check.true("names what the test left", "left processes running" in run.stderr and "sleep 300" in run.stderr,
               run.stderr)
    check.true("the leftover is gone", not alive(leftover))

    run = subprocess.run([guard, "1", "sh", "-c", "sleep 300 & wait"], capture_output=True, text=True, timeout=120)
    check.expect("a hung test ends with 124", run.returncode, 124)
    check.true("its processes listed", "still runs after 1 s" in run.stderr and "sleep 300" in run.stderr, run.stderr)
    check.true("and their threads", "thread " in run.stderr and " cpu " in run.stderr, run.stderr)

    # The runner (ctest, here a shell) dies, or ends the guard: the test's processes go too.
    for how in ("runner killed", "guard terminated"):
        runner = subprocess.Popen(["sh", "-c", f"{guard} 600 sh -c 'echo $$; sleep 300' & echo $!; wait"],
                                  stdout=subprocess.PIPE, text=True)
        guard_pid = int(runner.stdout.readline())
        test_pid = int(runner.stdout.readline())
        os.kill(runner.pid if how == "runner killed" else guard_pid,
                signal.SIGKILL if how == "runner killed" else signal.SIGTERM)
        runner.wait(timeout=120)
        deadline = time.monotonic() + 120  # a bound on a broken guard, not a measure
        while (alive(test_pid) or alive(guard_pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        check.true(f"{how}: the test's processes are gone", not alive(test_pid))
        check.true(f"{how}: the guard is gone", not alive(guard_pid))

    run = subprocess.run([guard, "600", "/nonexistent/program"], capture_output=True, text=True, timeout=120)
    check.expect("a command that cannot run", run.returncode, 127)
    check.true("says why", "cannot run /nonexistent/program" in run.stderr, run.stderr)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
