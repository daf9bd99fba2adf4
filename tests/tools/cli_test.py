#!/usr/bin/env python3
"""cli_test.py — the memledger command line as a person types it (issue 15,
item 2): --version, -V and `version` print the project's version; `help`;
a mistyped subcommand or flag is answered with the closest one it has and
exit status 2 (a far-off one with where they are listed); every file
memledger cannot read or write is named with the system's reason; `run` of
a program that loads no libmemledger says so truly (no capture is said
missing that was never written); `top --wait 0` with no server says where
it asked, whole, and exits 1.

usage: cli_test.py BIN_DIR VERSION
"""
import os
import subprocess
import sys
import tempfile

import checks
from checks import Checker

BOUND = 300  # seconds: a hang bound, never a measure
USAGE = 2


def main():
    bin_dir, version = sys.argv[1], sys.argv[2]
    memledger = os.path.join(bin_dir, "memledger")
    sim = os.path.join(bin_dir, "memledger-sim")
    check = Checker()

    def run(*args, cwd=None):
        return subprocess.run([memledger] + list(args), env=checks.clean_env(), capture_output=True, text=True,
                              timeout=BOUND, cwd=cwd)

    # The version, three ways.
    for spelling in (["--version"], ["-V"], ["version"]):
        out = run(*spelling)
        check.expect(f"{' '.join(spelling)}: exit status", out.returncode, 0)
        check.expect(f"{' '.join(spelling)}: the version", out.stdout, f"memledger {version}\n")
    out = run("help")
    check.true("help: the subcommands listed", out.returncode == 0 and "report" in out.stdout and
               "Exit status:" in out.stdout, out.stdout + out.stderr)
    out = run("help", "report")
    check.true("help report: report's help", out.returncode == 0 and "Usage: memledger report" in out.stdout and
               "--fail-on" in out.stdout, out.stdout + out.stderr)

    # Typos: the closest name, exit status 2.
    typos = [
        (["reprot", "x.mlcap"], "memledger: no subcommand `reprot`; did you mean `memledger report`?"),
        (["Status"], "memledger: no subcommand `Status`; did you mean `memledger status`?"),
        (["--verison"], "memledger: no flag --verison; did you mean --version?"),
        (["report", "x.mlcap", "--leak"], "memledger report: no flag --leak; did you mean --leaks?"),
        (["report", "x.mlcap", "--josn"], "memledger report: no flag --josn; did you mean --json?"),
        (["report", "x.mlcap", "--since", "1s", "--untill=2s"],
         "memledger report: no flag --untill; did you mean --until?"),
        (["export", "x.mlcap", "--fromat", "csv"], "memledger export: no flag --fromat; did you mean --format?"),
        (["run", "--summary", "s.json", "--", "true"], "memledger run: no flag --summary; did you mean --summary-json?"),
        (["run", "--fail-no", "leaks", "--", "true"], "memledger run: no flag --fail-no; did you mean --fail-on?"),
        (["top", "--wiat", "1"], "memledger top: no flag --wiat; did you mean --wait?"),
    ]
    for args, said in typos:
        out = run(*args)
        check.expect(f"{' '.join(args)}: exit status", out.returncode, USAGE)
        check.expect(f"{' '.join(args)}: what it says", out.stderr, said + "\n")
    out = run("frobnicate")
    check.true("a far-off subcommand: the subcommands listed", out.returncode == USAGE and
               out.stderr.startswith("memledger: no subcommand `frobnicate` (the subcommands: run, serve, status, "
                                     "top, report, export"), out.stderr)
    out = run("run", "--devices", "2", "--", "true")
    check.true("run with the program's flag before --: where it goes", out.returncode == USAGE and
               "the program's own flags go after --" in out.stderr, out.stderr)
    # The program's words after -- are its own, however they look.
    with tempfile.TemporaryDirectory() as work:
        out = run("run", "--", "sh", "-c", "exit 0", "--leak", cwd=work)
        check.true("run -- sh ... --leak: no suggestion for the program's words", "did you mean" not in out.stderr,
                   out.stderr)

    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "leaky.mlcap")
        made = subprocess.run([memledger, "run", "-o", capture, "--", sim, "leaky", "--leaks", "1"],
                              env=checks.clean_env(MEMLEDGER_REPORT="0"), capture_output=True, text=True,
                              timeout=BOUND)
        check.expect("a capture to read: exit status", made.returncode, 0)
        missing_dir = os.path.join(work, "nonexistent", "dir")
        a_file = os.path.join(work, "a-file")
        open(a_file, "w").close()
        # Every file error: the path and the system's reason.
        file_errors = [
            (["report", capture, "--html", f"{missing_dir}/x.html"],
             f"memledger report: cannot write {missing_dir}/x.html: No such file or directory"),
            (["report", capture, "--html", f"{a_file}/x.html"],
             f"memledger report: cannot write {a_file}/x.html: Not a directory"),
            (["export", capture, "--format", "csv", "-o", f"{missing_dir}/x.csv"],
             f"memledger export: cannot write {missing_dir}/x.csv: No such file or directory"),
            (["report", os.path.join(work, "none.mlcap")],
             f"memledger report: cannot open capture {work}/none.mlcap: No such file or directory"),
            (["export", os.path.join(work, "none.mlcap"), "--format", "chrome"],
             f"memledger export: cannot open capture {work}/none.mlcap: No such file or directory"),
            (["run", "--summary-json", f"{missing_dir}/s.json", "-o", os.path.join(work, "s.mlcap"), "--", sim, "leaky"],
             f"memledger run: cannot write {missing_dir}/s.json: No such file or directory"),
            (["run", "-o", f"{missing_dir}/x.mlcap", "--", sim, "leaky"],
             f"memledger run: cannot write captures in {missing_dir}: No such file or directory"),
            (["serve", "--capture", missing_dir, "--socket", os.path.join(work, "s.sock")],
             f"memledger serve: cannot write captures into {missing_dir}: No such file or directory"),
            (["status", "--socket", f"{missing_dir}/s.sock"],
             f"memledger status: no memledger server answers at {missing_dir}/s.sock (No such file or directory)"),
        ]
        for args, said in file_errors:
            out = subprocess.run([memledger] + args, env=checks.clean_env(MEMLEDGER_REPORT="0"), capture_output=True,
                                 text=True, timeout=BOUND)
            check.expect(f"{' '.join(args)}: exit status", out.returncode, 1)
            check.true(f"{' '.join(args)}: the file and the reason", said in out.stderr, out.stderr[-2000:])

        # A program that loads no libmemledger: said as it is, nothing said missing.
        for program, ended, status in ((["false"], "false exited with status 1", 1),
                                       (["sh", "-c", "kill -9 $$"], "sh was killed by signal 9", 137)):
            before = sorted(os.listdir(work))
            out = run("run", "--summary-json", os.path.join(work, "never.json"), "--", *program, cwd=work)
            what = f"run -- {' '.join(program)}"
            check.expect(f"{what}: exit status (the program's)", out.returncode, status)
            check.true(f"{what}: no capture said missing", "cannot open" not in out.stderr and
                       "No such file" not in out.stderr, out.stderr)
            check.true(f"{what}: how it ended, and that nothing loaded libmemledger",
                       out.stderr.startswith(f"memledger run: {ended}, and no process it ran wrote a capture: none "
                                             "loaded libmemledger") and
                       "no summary written to" in out.stderr, out.stderr)
            check.expect(f"{what}: no file left behind", sorted(os.listdir(work)), before)

        # top without a server, --wait 0: one try, the socket's path whole on one line, exit status 1.
        # 100 bytes: longer than a terminal's line, short enough for a socket's address (108).
        deep = os.path.join(work, "d" * (100 - len(work) - len("//memledger.sock")))
        os.makedirs(deep)
        sock = os.path.join(deep, "memledger.sock")
        out = run("top", "--wait", "0", "--socket", sock)
        check.expect("top --wait 0, no server: exit status", out.returncode, 1)
        lines = out.stderr.splitlines()
        check.true("top --wait 0, no server: one line with the whole path and why",
                   len(lines) == 1 and len(lines[0]) > 80 and
                   f"no memledger server answers at {sock} (No such file or directory)" in lines[0] and
                   "--wait 0: not waiting" in lines[0], out.stderr)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
