#!/usr/bin/env python3
"""rotation_test.py — captures cut into segments for long runs, as users
make and read them (issue 19, part 1).

1. Embedded: `memledger-sim leaky --leaks 4` with MEMLEDGER_OUTPUT=run.mlcap
   and MEMLEDGER_OUTPUT_ROTATE_BYTES=64K writes run.1.mlcap ... run.N.mlcap
   (N >= 3) and its exit report says so; `memledger report` of the segments
   (given in a shuffled order) books the allocator's truth — every alloc,
   every free, the leaks by device and type — and says it read N segments as
   one history; the last segment alone books the same leaks, with the same
   leak sites (headline and tag), and says its books begin part-way; a middle
   segment alone says the run goes on after it. `memledger export` of the
   segments (csv, collapsed, chrome) is the whole run's: a CSV row per alloc
   and free of the truth, in order; the leaks' bytes at the end; a gap is
   refused with the same reason.
2. MEMLEDGER_OUTPUT_KEEP=2: only the last two segments stay, the exit report
   names them, and together they still book the truth's leaks.
3. Server: `serve --capture DIR --rotate-bytes 64K`: a client's capture comes
   in segments COMM.PID.MS.N.mlcap that report the truth together.
4. `memledger run --rotate-bytes 64K`: the process's capture in segments
   OUTPUT.N.mlcap, its files in the run's summary; the summary and the
   report of the segments book the truth; with --keep 2, the last two stay
   and book the truth's leaks; the shell's MEMLEDGER_OUTPUT_ROTATE_BYTES
   does not override the run's options.
5. Careless use: --rotate-bytes without --capture, --keep without a bound, a
   bound below 64K (serve, run) are refused with a reason; a report of segments
   with one missing, or of segments of two runs, says why and books nothing.

usage: rotation_test.py BIN_DIR
"""
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile

from checks import Checker, check_leaks_by_device_type, clean_env
from server_process import start_server, stop, stop_all

BOUND = 600  # seconds; each run takes a few


def sim(bin_dir, truth):
    # 100,000 rounds: a capture of about 170 KiB as columns, cut every 64 KiB.
    return [os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "4", "--iterations", "100000",
            "--truth-json", truth]


def report(bin_dir, files, *args):
    return subprocess.run([os.path.join(bin_dir, "memledger"), "report", *files, *args], capture_output=True,
                          text=True, timeout=BOUND, env=clean_env())


def segments_of(pattern):
    """The files matching `pattern` (a glob), by their segment index."""
    files = glob.glob(pattern)
    index = re.compile(r"\.(\d+)\.mlcap$")
    return sorted(files, key=lambda f: int(index.search(f).group(1)))


def leak_sites(text):
    """The leak headlines of a `--leaks` report with the device/type/tag line under each."""
    lines = text.splitlines()
    return sorted((lines[i].strip(), lines[i + 1].split(", pid")[0].strip())
                  for i in range(len(lines) - 1) if re.match(r"^  \S.* in \d+ buffers?: ", lines[i]))


def check_books(check, what, bin_dir, files, truth):
    """The report of `files` (JSON) books `truth`: its allocs, frees and leaks."""
    out = report(bin_dir, files, "--json")
    check.expect(f"{what}: report exit status", out.returncode, 0)
    if out.returncode != 0:
        print(out.stderr[-2000:])
        return None
    summary = json.loads(out.stdout)
    check_leaks_by_device_type(check, f"{what}: ", summary, [truth])
    process = summary["processes"][0]
    check.expect(f"{what}: the process exited", process["state"], "exited")
    check.expect(f"{what}: no anomaly", sum(summary["anomalies"].values()), 0)
    check.true(f"{what}: books complete", process["books_complete"], json.dumps(process)[:2000])
    return summary


def embedded_case(check, bin_dir, work):
    truth_path = os.path.join(work, "e.truth.json")
    run = subprocess.run(sim(bin_dir, truth_path),
                         env=clean_env(MEMLEDGER="1", MEMLEDGER_STACKS="1",
                                       MEMLEDGER_OUTPUT=os.path.join(work, "run.mlcap"),
                                       MEMLEDGER_OUTPUT_ROTATE_BYTES="64K"),
                         capture_output=True, text=True, timeout=BOUND)
    check.expect("embedded: exit status", run.returncode, 0)
    with open(truth_path) as f:
        truth = json.load(f)
    files = segments_of(os.path.join(work, "run.*.mlcap"))
    n = len(files)
    check.true("embedded: at least 3 segments", n >= 3, str(files))
    check.true("embedded: the exit report names the segments",
               f"capture written to {files[0]} to {files[-1]} ({n} segments" in run.stderr, run.stderr[-1500:])
    shuffled = files[:]
    random.Random(5).shuffle(shuffled)
    summary = check_books(check, "embedded, all segments", bin_dir, shuffled, truth)
    if summary:
        allocs = sum(t["allocs"] for d in summary["devices"] for t in d["types"].values())
        frees = sum(t["frees"] for d in summary["devices"] for t in d["types"].values())
        check.expect("embedded, all segments: every alloc", allocs, truth["allocs"])
        check.expect("embedded, all segments: every free", frees, truth["frees"])
        check.expect("embedded, all segments: the capture section's files", summary["capture"]["files"], files)
    text = report(bin_dir, shuffled)
    check.true("embedded, all segments: said read as one history",
               f"segments 1 to {n} of a run cut into segments, read as one history" in text.stdout,
               text.stdout[-1500:])

    whole_leaks = leak_sites(report(bin_dir, files, "--leaks").stdout)
    check.expect("embedded: the 4 leaks in 3 sites", len(whole_leaks), 3)
    last = check_books(check, "embedded, the last segment alone", bin_dir, [files[-1]], truth)
    if last:
        check.expect("embedded, the last segment alone: its segment", last["capture"]["segments"]["first"], n)
    alone = report(bin_dir, [files[-1]], "--leaks")
    check.expect("embedded, the last segment alone: the same leak sites", leak_sites(alone.stdout), whole_leaks)
    text = report(bin_dir, [files[-1]])
    check.true("embedded, the last segment alone: says its books begin part-way",
               re.search(rf"segment {n} of a run cut into segments; its books begin at record \d+ with what was "
                         r"live then carried over \(\d+ buffers", text.stdout) is not None, text.stdout[-1500:])
    middle = report(bin_dir, [files[1]])
    check.expect("embedded, a middle segment alone: exit status", middle.returncode, 0)
    check.true("embedded, a middle segment alone: the run goes on after it",
               "segment 2 ends without the process's end record: the run goes on in segment 3" in middle.stderr,
               middle.stderr[-1500:])

    export_case(check, bin_dir, shuffled, truth)

    gap = report(bin_dir, [files[0], files[2]])
    check.expect("a gap: exit status", gap.returncode, 1)
    check.true("a gap: says which segment is missing", "segment 2 of the run is missing" in gap.stderr, gap.stderr)
    check.expect("a gap: no report", gap.stdout, "")
    return files


def export(bin_dir, files, *args):
    return subprocess.run([os.path.join(bin_dir, "memledger"), "export", *files, *args], capture_output=True,
                          text=True, timeout=BOUND, env=clean_env())


def export_case(check, bin_dir, files, truth):
    """`memledger export` of a run's segments (any order) is the whole run's:
    a CSV row per buffer event of the allocator's truth, the leaks' bytes at
    the end; with a segment missing, it says which and exports nothing."""
    csv = export(bin_dir, files, "--format", "csv")
    check.expect("export csv of the segments: exit status", csv.returncode, 0)
    rows = csv.stdout.splitlines()[1:]
    check.expect("export csv of the segments: a row per alloc and free", len(rows), truth["allocs"] + truth["frees"])
    seqs = [int(row.split(",")[0]) for row in rows]
    check.true("export csv of the segments: in the run's order", seqs == sorted(seqs))
    collapsed = export(bin_dir, files, "--format", "collapsed", "--at", "end")
    check.expect("export collapsed of the segments: exit status", collapsed.returncode, 0)
    leaked = sum(int(line.rsplit(" ", 1)[1]) for line in collapsed.stdout.splitlines() if line)
    check.expect("export collapsed of the segments: the leaks' bytes", leaked,
                 sum(t["live_bytes"] for d in truth["devices"] for t in d["types"].values()))
    chrome = export(bin_dir, files, "--format", "chrome")
    check.expect("export chrome of the segments: exit status", chrome.returncode, 0)
    try:
        trace = json.loads(chrome.stdout)
    except ValueError as error:
        trace = {}
        check.true(f"export chrome of the segments: JSON ({error})", False, chrome.stdout[-300:])
    check.true("export chrome of the segments: a trace with the run's counters",
               any(e.get("ph") == "C" for e in trace.get("traceEvents", [])))
    ordered = sorted(files, key=lambda f: int(re.search(r"\.(\d+)\.mlcap$", f).group(1)))
    gap = export(bin_dir, [ordered[0], ordered[2]], "--format", "csv")
    check.expect("export with a gap: exit status", gap.returncode, 1)
    check.true("export with a gap: says which segment is missing", "segment 2 of the run is missing" in gap.stderr,
               gap.stderr)
    check.expect("export with a gap: nothing exported", gap.stdout, "")


def keep_case(check, bin_dir, work):
    truth_path = os.path.join(work, "k.truth.json")
    pattern = os.path.join(work, "kept-%n.mlcap")
    run = subprocess.run(sim(bin_dir, truth_path),
                         env=clean_env(MEMLEDGER="1", MEMLEDGER_OUTPUT=pattern, MEMLEDGER_OUTPUT_ROTATE_BYTES="64K",
                                       MEMLEDGER_OUTPUT_KEEP="2"),
                         capture_output=True, text=True, timeout=BOUND)
    check.expect("keep: exit status", run.returncode, 0)
    files = sorted(glob.glob(os.path.join(work, "kept-*.mlcap")),
                   key=lambda f: int(re.search(r"kept-(\d+)\.mlcap$", f).group(1)))
    check.expect("keep: two segments stay", len(files), 2)
    last = int(re.search(r"kept-(\d+)\.mlcap$", files[-1]).group(1)) if files else 0
    check.true("keep: more were written", last >= 3, str(files))
    check.true("keep: the exit report names the kept ones",
               f"to {files[-1]} (2 segments, the last 2 of {last}:" in run.stderr if files else False,
               run.stderr[-1500:])
    with open(truth_path) as f:
        check_books(check, "keep: the kept segments", bin_dir, files, json.load(f))


def run_case(check, bin_dir, work):
    """`memledger run --rotate-bytes 64K`: each process's capture in segments, put in place as the run's
    OUTPUT.N.mlcap; the run's summary books the truth from them all; with --keep 2, the last two stay."""
    for keep in (None, 2):
        what = "run" if keep is None else f"run --keep {keep}"
        out_dir = os.path.join(work, "run" if keep is None else "run-keep")
        os.mkdir(out_dir)
        truth_path = os.path.join(out_dir, "truth.json")
        summary_path = os.path.join(out_dir, "summary.json")
        args = ["--rotate-bytes", "64K"] + ([] if keep is None else ["--keep", str(keep)])
        run = subprocess.run([os.path.join(bin_dir, "memledger"), "run", *args, "-o", os.path.join(out_dir, "run.mlcap"),
                              "--summary-json", summary_path, "--", *sim(bin_dir, truth_path)],
                             capture_output=True, text=True, timeout=BOUND,
                             env=clean_env(MEMLEDGER_OUTPUT_ROTATE_BYTES="1G"))  # the run's options decide
        check.expect(f"{what}: exit status", run.returncode, 0)
        if run.returncode != 0:
            print(run.stderr[-2000:])
            continue
        files = segments_of(os.path.join(out_dir, "run.*.mlcap"))
        with open(truth_path) as f:
            truth = json.load(f)
        with open(summary_path) as f:
            summary = json.load(f)
        captures = summary["run"]["captures"]
        check.expect(f"{what}: one process, its files the segments in order", [c["files"] for c in captures], [files])
        check.true(f"{what}: no file left unnumbered", not os.path.exists(os.path.join(out_dir, "run.mlcap")))
        check.true(f"{what}: with the run's own options, nothing said of the shell's variable",
                   "is not used" not in run.stderr, run.stderr[-1500:])
        if keep is None:
            check.true(f"{what}: at least 3 segments", len(files) >= 3, str(files))
            check_leaks_by_device_type(check, f"{what}: the run's summary: ", summary, [truth])
            check_books(check, f"{what}: the report of its segments", bin_dir, files, truth)
        else:
            check.expect(f"{what}: two segments stay", len(files), keep)
            numbers = [int(re.search(r"\.(\d+)\.mlcap$", f).group(1)) for f in files]
            check.true(f"{what}: the last two, by their numbers", numbers[0] >= 2 and numbers[1] == numbers[0] + 1,
                       str(files))
            check_books(check, f"{what}: the kept segments", bin_dir, files, truth)
    # Again at the same place, fewer segments: the earlier run's are gone, the glob reads this run alone.
    out_dir = os.path.join(work, "run")
    truth_path = os.path.join(out_dir, "again.truth.json")
    again = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "--rotate-bytes", "64K", "-o",
                            os.path.join(out_dir, "run.mlcap"), "--", *sim(bin_dir, truth_path)[:2],
                            "--leaks", "2", "--iterations", "40000", "--truth-json", truth_path],
                           capture_output=True, text=True, timeout=BOUND, env=clean_env())
    check.expect("run again: exit status", again.returncode, 0)
    files = segments_of(os.path.join(out_dir, "run.*.mlcap"))
    with open(truth_path) as f:
        check_books(check, "run again at the same place: its segments alone", bin_dir, files, json.load(f))
    plain = subprocess.run([os.path.join(bin_dir, "memledger"), "run", "-o", os.path.join(out_dir, "plain.mlcap"),
                            "--", *sim(bin_dir, os.path.join(out_dir, "plain.truth.json"))],
                           capture_output=True, text=True, timeout=BOUND,
                           env=clean_env(MEMLEDGER_OUTPUT_ROTATE_BYTES="64K"))
    check.true("run, the shell's rotate variable without --rotate-*: one file, and says the variable is not used",
               plain.returncode == 0 and os.path.exists(os.path.join(out_dir, "plain.mlcap")) and
               "MEMLEDGER_OUTPUT_ROTATE_BYTES=64K is not used" in plain.stderr, plain.stderr[-1500:])


def server_case(check, bin_dir, work, other_run):
    captures = os.path.join(work, "captures")
    os.mkdir(captures)
    socket_path = os.path.join(work, "ml.sock")
    server = start_server(bin_dir, socket_path, ["--capture", captures, "--rotate-bytes", "64K"])
    truth_path = os.path.join(work, "s.truth.json")
    try:
        run = subprocess.run(sim(bin_dir, truth_path),
                             env=clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket_path, MEMLEDGER_REPORT="0"),
                             capture_output=True, text=True, timeout=BOUND)
        check.expect("server: client exit status", run.returncode, 0)
    finally:
        stop(server)
    files = segments_of(os.path.join(captures, "*.mlcap"))
    check.true("server: the capture in segments COMM.PID.MS.N.mlcap",
               len(files) >= 3 and all(re.search(r"/memledger-sim\.\d+\.\d+\.\d+\.mlcap$", f) for f in files),
               str(files))
    with open(truth_path) as f:
        check_books(check, "server: all segments", bin_dir, files, json.load(f))
    strangers = report(bin_dir, [files[0], other_run[1]])
    check.expect("two runs: exit status", strangers.returncode, 1)
    check.true("two runs: says so", "are segments of different runs" in strangers.stderr, strangers.stderr)


def careless_case(check, bin_dir, work):
    serve = [os.path.join(bin_dir, "memledger"), "serve", "--socket", os.path.join(work, "never.sock")]
    run = [os.path.join(bin_dir, "memledger"), "run"]
    for args, why in ((["--keep", "3"], "--keep counts segments"),
                      (["--rotate-bytes", "1K"], "a segment is at least 64K")):
        out = subprocess.run(run + args + ["--", "true"], capture_output=True, text=True, timeout=60, env=clean_env())
        check.expect(f"run {' '.join(args)}: exit status", out.returncode, 2)
        check.true(f"run {' '.join(args)}: says why", why in out.stderr, out.stderr)
    for args, why in ((["--rotate-bytes", "64K"], "--capture"),
                      (["--capture", work, "--keep", "3"], "--keep counts segments"),
                      (["--capture", work, "--rotate-bytes", "1K"], "a segment is at least 64K"),
                      (["--capture", work, "--rotate-seconds", "soon"], "not a time"),
                      (["--capture", work, "--rotate-seconds", "10ms"], "at least 1 s"),
                      (["--capture", work, "--rotate-seconds", "1e300h"], "at most 1e9 s"),
                      (["--capture", work, "--rotate-seconds", "1e308h"], "not a time")):
        out = subprocess.run(serve + args, capture_output=True, text=True, timeout=60, env=clean_env())
        check.expect(f"serve {' '.join(args)}: exit status", out.returncode, 2)
        check.true(f"serve {' '.join(args)}: says why", why in out.stderr, out.stderr)


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    try:
        with tempfile.TemporaryDirectory() as work:
            files = embedded_case(check, bin_dir, work)
            keep_case(check, bin_dir, work)
            run_case(check, bin_dir, work)
            server_case(check, bin_dir, work, files)
            careless_case(check, bin_dir, work)
    finally:
        stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
