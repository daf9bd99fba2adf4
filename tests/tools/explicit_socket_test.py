#!/usr/bin/env python3
"""explicit_socket_test.py — MEMLEDGER_SOCKET naming a place where no server
answers: a regular file, a directory, a missing path, a socket no server
listens on, a path too long for a socket. Each gets one warning line on
stderr (that no server is at MEMLEDGER_SOCKET=..., what is there instead,
and that accounting goes on in the process), and the books of the exit report
are still exact (the allocator's truth). Without MEMLEDGER_SOCKET, no server
at the default path is the usual embedded mode, and says nothing.

usage: explicit_socket_test.py BIN_DIR
"""
import json
import os
import socket
import subprocess
import sys
import tempfile

import checks
from checks import Checker, check_exit_report

BOUND = 300  # seconds; a leaky run takes well under one


def clean_env(**extra):
    return checks.clean_env(MEMLEDGER="1", **extra)


def check_books(check, what, stderr, truth_path):
    with open(truth_path) as f:
        check_exit_report(check, what, stderr, json.load(f))


def run_sim(bin_dir, work, name, env):
    truth = os.path.join(work, name + ".truth.json")
    run = subprocess.run([os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "3", "--truth-json", truth],
                         env=env, capture_output=True, text=True, timeout=BOUND)
    return run, truth


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        regular = os.path.join(work, "regular")
        open(regular, "w").close()
        directory = os.path.join(work, "directory")
        os.mkdir(directory)
        stale = os.path.join(work, "stale.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
            s.bind(stale)  # and closed: no server listens on it
        long_dir = os.path.join(work, "d" * 100)
        os.mkdir(long_dir)
        too_long = os.path.join(long_dir, "s" * (200 - len(long_dir) - 1))
        cases = [
            ("regular file", regular, "it is a regular file, not a socket"),
            ("directory", directory, "it is a directory, not a socket"),
            ("missing path", os.path.join(work, "missing.sock"), "nothing is there"),
            ("missing directory", os.path.join(work, "gone", "memledger.sock"), "nothing is there"),
            ("socket without a server", stale, "no server listens on that socket"),
            ("200-byte path", too_long, f"the path is {len(too_long)} bytes long"),
        ]
        for what, path, why in cases:
            run, truth = run_sim(bin_dir, work, what.replace(" ", "_"), clean_env(MEMLEDGER_SOCKET=path))
            check.expect(f"{what}: exit status", run.returncode, 0)
            warnings = [line for line in run.stderr.splitlines() if "MEMLEDGER_SOCKET" in line]
            check.expect(f"{what}: one warning line", len(warnings), 1)
            want = f"memledger: no server at MEMLEDGER_SOCKET={path}: {why}"
            check.true(f"{what}: the line says where, why and what instead",
                       len(warnings) == 1 and warnings[0].startswith(want) and
                       warnings[0].endswith("; accounting in this process instead"), run.stderr[:2000])
            check_books(check, what, run.stderr, truth)

        # No MEMLEDGER_SOCKET: the default path (in a private runtime directory
        # of this test) has no server, and that is said by nobody.
        runtime = os.path.join(work, "runtime")
        os.mkdir(runtime, 0o700)
        run, truth = run_sim(bin_dir, work, "default", clean_env(XDG_RUNTIME_DIR=runtime))
        check.expect("default path: exit status", run.returncode, 0)
        first = run.stderr.splitlines()[0] if run.stderr else ""
        check.true("default path: nothing said before the exit report", first.startswith("memledger: pid "),
                   run.stderr[:2000])
        check_books(check, "default path", run.stderr, truth)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
