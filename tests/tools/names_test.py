#!/usr/bin/env python3
"""names_test.py — names that are not UTF-8, hold controls or CSV's separators,
or are longer than a name may be, never crash anything and are shown safely.

A tracked program (hostile_names.c) runs under a file name with a Latin-1
byte (its comm is "caf\\xe9-names") and names a device, a pool, tags and a
mark with ill-formed bytes, controls and commas, and a tag and a device with
301 bytes of UTF-8 whose byte 256 is mid-character. Then:
1. under `memledger serve --capture DIR`: `memledger status --json` while it
   runs and after it ended (the server stays up; the JSON parses and holds the
   names as valid UTF-8: ill-formed bytes as U+FFFD, the long name cut to 255
   bytes on a character boundary), `memledger status` as text;
2. `memledger run --summary-json` (with the exit report and a lifecycle log);
3. `memledger report --json`, `memledger report`, `memledger export` as
   chrome (JSON), csv (every row as many fields as the header) and collapsed,
   on the run's capture and on the server's;
4. Python: memledger.Capture(path).summary() and .leaks().
Every text output must be valid UTF-8 with no control character but its line
ends.

usage: names_test.py BIN_DIR HOSTILE_NAMES PYTHON_DIR [PYTHON_LD_PRELOAD]
"""
import csv
import io
import json
import os
import select
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import start_server, stop, stop_all

FFFD = "\ufffd"
COMM = "caf" + FFFD + "-names"
LONG = "n" + "\u00e9" * 127          # 301 bytes sent, cut to 255: the 128th é would straddle byte 256
DEVICE0 = "dev" + FFFD + FFFD + "\n\x1b[2J"
POOL = 'weights,fp16\n"q"' + FFFD
TAG = "tag" + FFFD + "(" + FFFD
MARK = "mark" + FFFD + "\n"
CSV_HEADER = "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack,site"


def printable(name):
    """A name as text outputs show it (report/printable_text.h)."""
    return (name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
            .replace("\x1b", "\\x1b"))


# The environment python needs to load a sanitized module (set from argv).
PYTHON_PRELOAD = {}


def check_text(check, what, data):
    """Text output: valid UTF-8, no control character but newlines. Returns it decoded."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        check.true(f"{what}: valid UTF-8", False, f"{e}: {data[:400]!r}")
        return data.decode("utf-8", "replace")
    controls = sorted({c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f})
    check.true(f"{what}: no control characters", not controls, f"{controls!r} in {text[:2000]!r}")
    return text


def parse_json(check, what, data):
    """The JSON in `data`, or None (a failed check) when it does not parse."""
    try:
        return json.loads(data)
    except ValueError as e:
        check.true(f"{what}: JSON parses", False, f"{e}: {data[:400]!r}")
        return None


def check_summary(check, what, summary, live):
    """The summary JSON's names, as valid UTF-8."""
    processes = summary["processes"]
    check.expect(f"{what}: comm", [p["comm"] for p in processes], [COMM])
    names = {d["device"]: d["name"] for d in summary["devices"]}
    check.expect(f"{what}: device 0 name", names.get(0), DEVICE0)
    check.expect(f"{what}: device 1 name (cut on a character boundary)", names.get(1), LONG)
    check.expect(f"{what}: long name's bytes", len(names.get(1, "").encode()), 255)
    types = set(t for d in summary["devices"] for t in d["types"])
    check.true(f"{what}: the pool by name", POOL in types, repr(types))
    if live:
        held = {t for d in processes[0]["devices"] for t in d["types"]}
        check.true(f"{what}: the process holds the pool", POOL in held, repr(held))
    else:
        sites = sorted((s["tag"], s["type"], s["buffers"]) for s in summary["leaks"]["sites"])
        check.expect(f"{what}: leak sites' tags", sites, sorted([(TAG, POOL, 2), (LONG, "DRAM", 1)]))


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, timeout=600, **kwargs)


def check_reports(check, bin_dir, capture, what):
    memledger = os.path.join(bin_dir, "memledger")
    out = run([memledger, "report", capture, "--json"])
    check.expect(f"{what}: report --json exit", out.returncode, 0)
    check_text(check, f"{what}: report --json", out.stdout)
    if (summary := parse_json(check, f"{what}: report --json", out.stdout)) is not None:
        check_summary(check, f"{what}: report --json", summary, live=False)

    out = run([memledger, "report", capture])
    check.expect(f"{what}: report exit", out.returncode, 0)
    text = check_text(check, f"{what}: report", out.stdout)
    check.true(f"{what}: report names the process", COMM in text, text)
    check.true(f"{what}: report shows the pool escaped", printable(POOL) in text, text)
    check.true(f"{what}: report shows the tag", TAG in text, text)

    out = run([memledger, "export", capture, "--format", "chrome"])
    check.expect(f"{what}: chrome exit", out.returncode, 0)
    check_text(check, f"{what}: chrome", out.stdout)
    if (trace := parse_json(check, f"{what}: chrome", out.stdout)) is not None:
        events = trace["traceEvents"]
        process_names = [e["args"]["name"] for e in events if e["name"] == "process_name"]
        check.expect(f"{what}: chrome process name", process_names, [COMM])
        check.true(f"{what}: chrome mark", any(e["name"] == MARK and e["ph"] == "i" for e in events),
                   repr([e["name"] for e in events if e["ph"] == "i"]))

    out = run([memledger, "export", capture, "--format", "csv"])
    check.expect(f"{what}: csv exit", out.returncode, 0)
    text = check_text(check, f"{what}: csv", out.stdout)
    rows = list(csv.reader(io.StringIO(text)))
    check.expect(f"{what}: csv header", rows[0] if rows else None, CSV_HEADER.split(","))
    check.expect(f"{what}: csv rows (4 allocs, 1 free)", len(rows) - 1, 5)
    check.expect(f"{what}: csv fields per row", sorted({len(r) for r in rows}), [12])
    check.expect(f"{what}: csv types and tags", sorted({(r[4], r[9]) for r in rows[1:] if len(r) == 12}),
                 sorted({(printable(POOL), TAG), ("DRAM", LONG)}))

    out = run([memledger, "export", capture, "--format", "collapsed"])
    check.expect(f"{what}: collapsed exit", out.returncode, 0)
    check_text(check, f"{what}: collapsed", out.stdout)


def check_python(check, python_dir, capture, what):
    script = ("import json, sys, memledger\n"
              "c = memledger.Capture(sys.argv[1])\n"
              "print(json.dumps({'summary': c.summary(), 'leaks': [(l.tag, l.type) for l in c.leaks()],"
              " 'peaks': sorted(t for (_, t) in c.peak())}))\n")
    out = run(["/usr/bin/python3", "-c", script, capture], env=clean_env(PYTHONPATH=python_dir, **PYTHON_PRELOAD))
    check.expect(f"{what}: python exit", out.returncode, 0)
    if out.returncode != 0:
        print(out.stderr.decode(errors="replace")[-2000:])
        return
    result = parse_json(check, f"{what}: python", out.stdout)
    if result is None:
        return
    check_summary(check, f"{what}: Capture.summary()", result["summary"], live=False)
    check.expect(f"{what}: Capture.leaks()", sorted(map(tuple, result["leaks"])), sorted([(TAG, POOL), (LONG, "DRAM")]))
    check.true(f"{what}: Capture.peak() has the pool", POOL in result["peaks"], repr(result["peaks"]))


def status(bin_dir, sock, *args):
    return run([os.path.join(bin_dir, "memledger"), "status", "--socket", sock, *args])


def read_line(stream, seconds):
    """One line from a child's stdout, or b'' after `seconds`."""
    ready, _, _ = select.select([stream], [], [], seconds)
    return stream.readline() if ready else b""


def check_server(check, bin_dir, program, work):
    sock = os.path.join(work, "ml.sock")
    captures = os.path.join(work, "server-captures")
    os.mkdir(captures)
    server = start_server(bin_dir, sock, ["--capture", captures])
    client = subprocess.Popen([program, "--wait"], env=clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        check.expect("tracked program ready", read_line(client.stdout, 120), b"ready\n")
        out = status(bin_dir, sock, "--json")
        check.expect("status --json (running) exit", out.returncode, 0)
        check.true("server up after status --json", server.poll() is None, f"exit {server.returncode}")
        if (summary := parse_json(check, "status --json (running)", out.stdout)) is not None:
            check_summary(check, "status --json (running)", summary, live=True)
        out = status(bin_dir, sock)
        check.expect("status (running) exit", out.returncode, 0)
        text = check_text(check, "status", out.stdout)
        check.true("status names the process", COMM in text, text)
        check.true("status shows the pool escaped", printable(POOL) in text, text)
        check.true("status shows device 0 escaped", printable(DEVICE0) in text, text)
    finally:
        client.stdin.close()
        client.wait(timeout=120)
    check.expect("tracked program exit", client.returncode, 0)
    # The server books the end when it sees the pidfd: ask until it has.
    summary = None
    for _ in range(600):
        out = status(bin_dir, sock, "--json")
        if out.returncode != 0 or server.poll() is not None:
            break
        summary = parse_json(check, "status --json (ended)", out.stdout)
        if summary is None or all(p["state"] != "running" for p in summary["processes"]):
            break
        select.select([], [], [], 0.1)
    check.true("server up after the program ended", server.poll() is None, f"exit {server.returncode}")
    check.true("status --json (ended) parses", summary is not None)
    if summary is not None:
        check_summary(check, "status --json (ended)", summary, live=False)
    check.expect("server exit on SIGTERM", stop(server), 0)
    files = [os.path.join(captures, f) for f in os.listdir(captures)]
    check.expect("server wrote one capture", len(files), 1)
    return files[0] if files else None


def check_run(check, bin_dir, program, work):
    capture = os.path.join(work, "run.mlcap")
    summary_path = os.path.join(work, "run.json")
    log = os.path.join(work, "run.log")
    out = run([os.path.join(bin_dir, "memledger"), "run", "--output", capture, "--summary-json", summary_path, "--",
               program], env=clean_env(MEMLEDGER_LOG=log))
    check.expect("run exit", out.returncode, 0)
    text = check_text(check, "run: exit report and messages", out.stderr)
    check.true("run: exit report shows the tag", TAG in text, text)
    if os.path.exists(summary_path):
        with open(summary_path, "rb") as f:
            data = f.read()
        check_text(check, "run --summary-json", data)
        if (summary := parse_json(check, "run --summary-json", data)) is not None:
            check_summary(check, "run --summary-json", summary, live=False)
    else:
        check.true("run --summary-json written", False)
    if os.path.exists(log):
        with open(log, "rb") as f:
            lines = check_text(check, "lifecycle log", f.read()).splitlines()
        check.expect("lifecycle log: a line per buffer event", len(lines), 5)
        check.true("lifecycle log shows the pool escaped", all(printable(POOL) in l for l in lines if "dev 0" in l),
                   "\n".join(lines))
    else:
        check.true("lifecycle log written", False)
    return capture


def main():
    bin_dir, hostile_names, python_dir = sys.argv[1:4]
    if len(sys.argv) > 4 and sys.argv[4]:  # a sanitized module: python needs its runtime first
        PYTHON_PRELOAD.update(LD_PRELOAD=sys.argv[4], ASAN_OPTIONS="detect_leaks=0")
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        # comm is the name the program was executed by: a link whose name is not UTF-8.
        program = os.path.join(os.fsencode(work), b"caf\xe9-names")
        os.symlink(os.path.abspath(hostile_names), program)
        try:
            server_capture = check_server(check, bin_dir, program, work)
        finally:
            stop_all()
        run_capture = check_run(check, bin_dir, program, work)
        for capture, what in ((run_capture, "run capture"), (server_capture, "server capture")):
            if capture and os.path.exists(capture):
                check_reports(check, bin_dir, capture, what)
                check_python(check, python_dir, capture, what)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
