#!/usr/bin/env python3
"""server_exit_line_test.py — what a tracked program says as it exits when
its books went to a server (src/client/exit_report.h PrintServerExitLine,
src/server/own_books_line.h): one line, with a real server and real
processes (memledger-sim leaky, 3 leaked buffers).

1. Server running: the program's stderr ends with one line naming its pid
   and command, its 3 leaked buffers (as many as the server's books hold for
   that pid), no anomalies, and the status command for the server's socket.
2. MEMLEDGER_REPORT=0: not a line from memledger.
3. The server stopped (SIGSTOP) while the program waits at its start gate:
   the program still exits (status 0), and its line says the server had not
   taken in all its records — it asks nothing of a stopped server.

usage: server_exit_line_test.py BIN_DIR
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import own, start_server, status, stop_all
from sim_gates import open_gate, wait_at_gate


def leaky(bin_dir, socket_path, *args, **settings):
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket_path, **settings)
    return own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "3", *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True))


def memledger_lines(stderr):
    return [line for line in stderr.splitlines() if line.startswith("memledger")]


def server_running(bin_dir, socket_path, check):
    print("a server takes the books: one line at exit")
    program = leaky(bin_dir, socket_path)
    _, stderr = program.communicate(timeout=300)
    check.expect("exit status", program.returncode, 0)
    lines = memledger_lines(stderr)
    check.expect("one line from memledger", len(lines), 1)
    line = lines[-1] if lines else ""
    pattern = (rf"^memledger: pid {program.pid} \(memledger-sim\) exited: 3 buffers leaked \(\d+(\.\d)? \w+\), "
               rf"no anomalies; its books are in the server: `memledger status --socket {re.escape(socket_path)}` "
               rf"shows them$")
    check.true("the line names the pid, its leaks and the status command", re.match(pattern, line), line)
    rows = [p for p in status(bin_dir, socket_path)["processes"] if p["pid"] == program.pid]
    check.expect("the server's books hold as many leaks", rows[-1]["leaked_buffers"] if rows else None, 3)


def report_off(bin_dir, socket_path, check):
    print("MEMLEDGER_REPORT=0: nothing said")
    program = leaky(bin_dir, socket_path, MEMLEDGER_REPORT="0")
    _, stderr = program.communicate(timeout=300)
    check.expect("exit status", program.returncode, 0)
    check.expect("no line from memledger", memledger_lines(stderr), [])


def server_stopped(bin_dir, server, socket_path, work, check):
    print("the server stopped: the program exits and says its books are not whole there")
    gate = os.path.join(work, "gate.json")
    program = leaky(bin_dir, socket_path, "--checkpoint-truth", gate)
    try:
        wait_at_gate(f"pid {program.pid}", gate)
        server.send_signal(signal.SIGSTOP)
        open_gate(program)
        _, stderr = program.communicate(timeout=300)
    finally:
        server.send_signal(signal.SIGCONT)
    check.expect("exit status", program.returncode, 0)
    lines = memledger_lines(stderr)
    check.true("the line says the server had not taken in all its records",
               len(lines) == 1 and lines[0].startswith(f"memledger: pid {program.pid} exited; the server at "
                                                       f"{socket_path} had not taken in all its records"), stderr)


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        socket_path = os.path.join(work, "ml.sock")
        try:
            server = start_server(bin_dir, socket_path)
            server_running(bin_dir, socket_path, check)
            report_off(bin_dir, socket_path, check)
            server_stopped(bin_dir, server, socket_path, work, check)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
