#!/usr/bin/env python3
"""module_files_test.py — a module whose file is not a regular file any more:
a tracked program run from a copy that is then replaced by a FIFO, which is
what a hostile process declaring a module at a FIFO amounts to. Reading a
FIFO waits for a writer, forever: `memledger status --json` (the server
symbolizes its books' stacks) and `memledger report` (offline, from a
capture) must both finish, the module's frames saying "(module not a regular
file)", and the server must go on answering. (The server answers with what
its symbolizer has read after 5 s: it is asked until the program's frames
are read, then once more.)

usage: module_files_test.py BIN_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import start_server, status, stop_all, symbolized_status

REFUSED = "(module not a regular file)"
BOUND = 120  # seconds: a hang, not a measurement


def main():
    bin_dir = os.path.abspath(sys.argv[1])
    memledger = os.path.join(bin_dir, "memledger")
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        program = os.path.join(work, "memledger-sim")
        shutil.copy2(os.path.join(bin_dir, "memledger-sim"), program)
        sock = os.path.join(work, "ml.sock")
        capture = os.path.join(work, "run.mlcap")
        env = clean_env(MEMLEDGER_STACKS="1")
        try:
            start_server(bin_dir, sock)
            tracked = subprocess.run([program, "leaky", "--leaks", "3"], env=dict(env, MEMLEDGER="1",
                                     MEMLEDGER_SOCKET=sock), capture_output=True, text=True, timeout=BOUND)
            check.true("the program ran, tracked by the server", tracked.returncode == 0, tracked.stderr[-500:])
            run = subprocess.run([memledger, "run", "--output", capture, "--", program, "leaky", "--leaks", "3"],
                                 env=env, capture_output=True, text=True, timeout=BOUND)
            check.true("and again into a capture", run.returncode == 0, run.stderr[-500:])

            os.unlink(program)
            os.mkfifo(program)

            for attempt, ask in (("once read", lambda: symbolized_status(bin_dir, sock, program, BOUND)),
                                 ("asked again", lambda: status(bin_dir, sock))):
                try:
                    summary = ask()
                except RuntimeError as e:  # memledger status failed
                    check.true(f"the server answers ({attempt})", False, str(e))
                    break
                frames = [f for site in summary["leaks"]["sites"] for f in site["stack"]]
                check.true(f"its leak stacks say why the program's frames are bare ({attempt})",
                           any(f.startswith(program + "+0x") and f.endswith(REFUSED) for f in frames), frames[:8])
            report = subprocess.run([memledger, "report", capture, "--leaks"], capture_output=True, text=True,
                                    timeout=BOUND)
            check.true("memledger report finishes", report.returncode == 0, report.stderr[-500:])
            check.true("and says why the program's frames are bare", f"{program}+0x" in report.stdout and
                       REFUSED in report.stdout, report.stdout[:1500])
        except subprocess.TimeoutExpired as e:
            check.true(f"{' '.join(e.cmd[:3])} finishes within {BOUND} s", False)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
