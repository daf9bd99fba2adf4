#!/usr/bin/env python3
"""cut_capture_test.py — a capture without its process's end record says what
it knows (issue 14, item 6): the process was running when the capture ends,
and what it held then is live at the end of the capture, not leaked.

1. A capture of the simulator's llm workload (2 devices, 3 leaks) cut at 8
   offsets: each reports (exit 0), says where it was cut, invents no leak,
   and what is live per device and type is what the whole capture's buffer
   events up to the cut leave live (counted here from its CSV export, alloc
   by alloc, free by free) — in the JSON, the text report and --leaks.
2. A capture still being written, its process held at an iteration (the
   sim's hold gate, which writes what the allocator holds there): copied
   and reported, it is running with exactly the allocator's holdings live;
   once the process goes on and exits, the same file reports it exited with
   the allocator's leaks.

usage: cut_capture_test.py BIN_DIR [--iterations N]
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from checks import Checker, clean_env
from sim_gates import open_gate, wait_at_gate

BUFFER_CLASSES = {"ALLOC": "buffer", "FREE": "buffer", "CB_ALLOC": "cb", "CB_FREE": "cb",
                  "KERNEL_LOAD": "kernel", "KERNEL_UNLOAD": "kernel"}
BEGINS = ("ALLOC", "CB_ALLOC", "KERNEL_LOAD")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


def memledger(bin_dir, *args):
    return run([os.path.join(bin_dir, "memledger"), *args])


def csv_rows(bin_dir, capture):
    out = memledger(bin_dir, "export", capture, "--format", "csv")
    if out.returncode != 0:
        raise RuntimeError(f"memledger export {capture} failed ({out.returncode}): {out.stderr}")
    return list(csv.DictReader(io.StringIO(out.stdout)))


def live_after(rows):
    """What `rows` (buffer events in stream order) leave live: {(device, type): (buffers, bytes)}.
    A buffer is its class, device, type and id (its address when the id is 0)."""
    live = {}
    for row in rows:
        key = (BUFFER_CLASSES[row["kind"]], int(row["device"]), row["type"],
               int(row["buffer_id"]) or int(row["address"]))
        if row["kind"] in BEGINS:
            live[key] = int(row["size"])
        else:
            live.pop(key, None)
    places = {}
    for (_, device, type_name, _), size in live.items():
        buffers, total = places.get((device, type_name), (0, 0))
        places[(device, type_name)] = (buffers + 1, total + size)
    return places


def booked_live(summary):
    """The replayed process's live buffers and bytes per (its own device number, type)."""
    return {(d["local"], type_name): (t["live_buffers"], t["live_bytes"])
            for d in summary["processes"][0]["devices"] for type_name, t in d["types"].items()
            if t["live_buffers"] or t["live_bytes"]}


def truth_live(truth):
    """A truth file's holdings per (device, type), as booked_live() gives them."""
    return {(d["device"], type_name): (t["live_buffers"], t["live_bytes"])
            for d in truth["devices"] for type_name, t in d["types"].items()
            if t["live_buffers"] or t["live_bytes"]}


def says_running_at_end(check, what, summary, text, leaks_text, live):
    """The report of a capture that ends before its process: running, nothing leaked, `live` live."""
    buffers = sum(b for b, _ in live.values())
    bytes_ = sum(n for _, n in live.values())
    process = summary["processes"][0]
    check.expect(f"{what}: the process is running", process["state"], "running")
    check.true(f"{what}: running when the capture ends", summary["capture"].get("running_at_end"), summary["capture"])
    check.expect(f"{what}: no leaks invented", (summary["leaks"]["buffers"], process["leaked_buffers"]), (0, 0))
    check.expect(f"{what}: live per device and type", booked_live(summary), live)
    check.expect(f"{what}: live at end of capture", summary["capture"].get("live_at_end"),
                 {"buffers": buffers, "bytes": bytes_})
    check.true(f"{what}: the text says running when the capture ends",
               ") running when the capture ends:" in text and "killed" not in text, text[:600])
    check.true(f"{what}: the text says what is live at end of capture",
               f"live at end of capture: {buffers} buffers, " in text and "leaks: none" in text, text[-600:])
    check.true(f"{what}: --leaks says the same",
               leaks_text.startswith("leaks: none\n") and f"live at end of capture: {buffers} buffers, " in leaks_text,
               leaks_text)


def cut_at_offsets(check, bin_dir, work, iterations):
    print("a capture cut at 8 offsets")
    whole = os.path.join(work, "llm.mlcap")
    truth_path = os.path.join(work, "truth.json")
    summary_path = os.path.join(work, "run-summary.json")
    sim = run([os.path.join(bin_dir, "memledger"), "run", "-o", whole, "--summary-json", summary_path, "--",
               os.path.join(bin_dir, "memledger-sim"), "llm", "--devices", "2", "--leaks", "3",
               "--iterations", str(iterations), "--truth-json", truth_path], env=clean_env())
    check.expect("tracked llm run", sim.returncode, 0)
    with open(truth_path) as f:
        truth = json.load(f)
    # The run path keeps its verdicts: the process exited, its leaks the allocator's.
    with open(summary_path) as f:
        run_summary = json.load(f)
    check.expect("run: the process exited", run_summary["processes"][0]["state"], "exited")
    check.expect("run: leaks = truth", run_summary["leaks"]["buffers"], truth["leaked"]["buffers"])
    whole_summary = json.loads(memledger(bin_dir, "report", whole, "--json").stdout)
    check.expect("whole: the process exited", whole_summary["processes"][0]["state"], "exited")
    check.expect("whole: leaked bytes = truth", whole_summary["leaks"]["bytes"], truth["leaked"]["bytes"])
    check.true("whole: not running at its end", not whole_summary["capture"].get("running_at_end"))

    rows = csv_rows(bin_dir, whole)
    with open(whole, "rb") as f:
        data = f.read()
    cut = os.path.join(work, "cut.mlcap")
    reached = set()
    for k in range(1, 9):
        offset = len(data) * k // 9 + 13  # not on a chunk's first byte
        what = f"cut at {offset} of {len(data)}"
        with open(cut, "wb") as f:
            f.write(data[:offset])
        out = memledger(bin_dir, "report", cut, "--json")
        text = memledger(bin_dir, "report", cut)
        leaks_text = memledger(bin_dir, "report", cut, "--leaks")
        check.expect(f"{what}: exit status", (out.returncode, text.returncode, leaks_text.returncode), (0, 0, 0))
        if out.returncode != 0:
            continue
        summary = json.loads(out.stdout)
        check.true(f"{what}: says where it was cut", "cut or damaged at byte" in out.stderr and
                   "cut or damaged at byte" in text.stderr and summary["capture"]["problem"], out.stderr)
        cut_rows = csv_rows(bin_dir, cut)
        check.true(f"{what}: its buffer events begin the whole capture's", cut_rows == rows[:len(cut_rows)])
        check.true(f"{what}: some of them only", len(cut_rows) < len(rows), (len(cut_rows), len(rows)))
        reached.add(len(cut_rows))
        says_running_at_end(check, what, summary, text.stdout, leaks_text.stdout, live_after(cut_rows))
    check.true("the cuts land in different chunks", len(reached - {0}) >= 4, sorted(reached))


def still_being_written(check, bin_dir, work, iterations):
    print("a capture still being written, its process held at an iteration")
    capture = os.path.join(work, "held.mlcap")
    hold_path = os.path.join(work, "hold.json")
    truth_path = os.path.join(work, "held-truth.json")
    sim = subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--devices", "2", "--leaks", "3",
                            "--iterations", str(iterations), "--hold-at-iteration", str(iterations // 2),
                            "--hold-truth", hold_path, "--truth-json", truth_path],
                           env=clean_env(MEMLEDGER="1", MEMLEDGER_OUTPUT=capture, MEMLEDGER_REPORT="0"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        held = wait_at_gate("the held llm run", hold_path)
        want = truth_live(held)
        snapshot = os.path.join(work, "snapshot.mlcap")

        # The consumer writes what it drained within a second or so: until
        # then a copy holds less. Each copy is a capture of its own.
        deadline = time.monotonic() + 120
        while True:
            shutil.copyfile(capture, snapshot)
            out = memledger(bin_dir, "report", snapshot, "--json")
            summary = json.loads(out.stdout) if out.returncode == 0 else None
            if summary and booked_live(summary) == want or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        check.true("held: the capture comes to hold what the allocator holds", summary is not None,
                   out.stderr)
        if summary is None:
            return
        text = memledger(bin_dir, "report", snapshot)
        leaks_text = memledger(bin_dir, "report", snapshot, "--leaks")
        check.true("held: the capture says it ends without the end record",
                   "without the process's end record" in text.stderr, text.stderr)
        says_running_at_end(check, "held", summary, text.stdout, leaks_text.stdout, want)
        check.expect("held: live at end of capture = what the allocator holds", summary["capture"].get("live_at_end"),
                     {"buffers": held["leaked"]["buffers"], "bytes": held["leaked"]["bytes"]})
        open_gate(sim)
        check.expect("the held run goes on and exits", sim.wait(timeout=600), 0)
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()
    with open(truth_path) as f:
        truth = json.load(f)
    ended = json.loads(memledger(bin_dir, "report", capture, "--json").stdout)
    check.expect("ended: the process exited", ended["processes"][0]["state"], "exited")
    check.expect("ended: its leaks are the allocator's", (ended["leaks"]["buffers"], ended["leaks"]["bytes"]),
                 (truth["leaked"]["buffers"], truth["leaked"]["bytes"]))
    check.expect("ended: nothing live at its end", ended["capture"].get("live_at_end"), {"buffers": 0, "bytes": 0})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        cut_at_offsets(check, args.bin_dir, work, args.iterations)
        still_being_written(check, args.bin_dir, work, args.iterations)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
