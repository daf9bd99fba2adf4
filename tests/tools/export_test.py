#!/usr/bin/env python3
"""export_test.py — `memledger export CAPTURE --format csv|collapsed|chrome`.

From captures of real simulator runs, checked against the allocator's truth:
1. csv: one row per buffer event (allocs + frees), header and columns as
   documented; every row a time of its own; each free row the size of the
   buffer it freed; live bytes summed row by row reach `memledger report
   --json`'s peaks exactly; each row with a stack has its site's headline.
2. collapsed: at the end, the leaks by stack — bytes summing to the truth's
   leaked bytes, each stack rooted at its device and type and ending in its
   leak site; at the peak, the bytes live at the highest total; with
   --device/--type, only theirs, at their own peak (the report's exactly).
3. chrome: valid Trace Event JSON; each device × type counter ends at what
   was live when the devices closed and its highest sample is the report's
   peak exactly; one b and one e per buffer, as many as allocs; a mark per
   decode step; late_free_hook instant events, with their facts, summing to
   the summary's count; --max-slices bounds the slices and says so.
4. A capture without stacks exports, with a note on how to record them.
5. A cut capture exports what is whole, and says so.

usage: export_test.py BIN_DIR
"""
import csv
import io
import re
import json
import os
import subprocess
import sys
import tempfile

from checks import clean_env


def record(bin_dir, work, name, sim_args, stacks="1"):
    capture = os.path.join(work, name + ".mlcap")
    summary = os.path.join(work, name + ".json")
    truth = os.path.join(work, name + "-truth.json")
    env = clean_env(MEMLEDGER_REPORT="0", MEMLEDGER_STACKS=stacks)
    subprocess.run([os.path.join(bin_dir, "memledger"), "run", "--output", capture, "--summary-json", summary, "--",
                    os.path.join(bin_dir, "memledger-sim")] + sim_args + ["--truth-json", truth],
                   env=env, check=True, capture_output=True, timeout=600)
    with open(summary) as f, open(truth) as g:
        return capture, json.load(f), json.load(g)


def export(bin_dir, capture, *args):
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "export", capture] + list(args), capture_output=True,
                         text=True, timeout=600)
    return out.returncode, out.stdout, out.stderr


def report_peaks(bin_dir, capture):
    """`memledger report --json`'s peak per (device, type) of a one-process capture."""
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture, "--json"], capture_output=True,
                         text=True, check=True, timeout=600)
    return {(p["device"], p["type"]): p["bytes"] for p in json.loads(out.stdout)["peaks"]}


def csv_highest(rows):
    """The highest live bytes per (device, type), summed row by row from each row's size (a free row's is its
    buffer's), and the free rows whose size is not their allocation's."""
    live, sizes, highest, wrong_frees = {}, {}, {}, []
    for r in rows:
        key = (int(r["device"]), r["type"])
        buffer = key + (r["buffer_id"] if r["buffer_id"] != "0" else r["address"],)
        if r["kind"] in ("ALLOC", "CB_ALLOC", "KERNEL_LOAD"):
            sizes[buffer] = int(r["size"])
            live[key] = live.get(key, 0) + int(r["size"])
        else:
            if sizes.pop(buffer, None) != int(r["size"]):
                wrong_frees.append(r)
            live[key] = live.get(key, 0) - int(r["size"])
        highest[key] = max(highest.get(key, 0), live[key])
    return highest, wrong_frees


def collapsed_lines(out):
    """(frames, bytes) per line of a collapsed export."""
    lines = []
    for line in out.splitlines():
        stack, bytes_ = line.rsplit(" ", 1)
        lines.append((stack.split(";"), int(bytes_)))
    return lines


def main():
    bin_dir = sys.argv[1]
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append(f"{what}: got {got}, want {want}")

    with tempfile.TemporaryDirectory() as work:
        capture, summary, truth = record(bin_dir, work, "leaky", ["leaky", "--leaks", "6", "--iterations", "500"])

        code, out, err = export(bin_dir, capture, "--format", "csv")
        expect("csv exit", code, 0)
        rows = list(csv.DictReader(io.StringIO(out)))
        expect("csv header", out.splitlines()[0],
               "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack,site")
        expect("csv rows = allocs + frees", len(rows), truth["allocs"] + truth["frees"])
        allocs = sum(1 for r in rows if r["kind"] in ("ALLOC", "CB_ALLOC", "KERNEL_LOAD"))
        expect("csv alloc rows", allocs, truth["allocs"])
        expect("csv sequence in order", [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows), True)
        times = [int(r["time_ns"]) for r in rows]
        expect("csv: every row a time of its own, increasing with seq",
               all(a < b for a, b in zip(times, times[1:])), True)
        peaks = report_peaks(bin_dir, capture)
        highest, wrong_frees = csv_highest(rows)
        expect("csv: each device x type's live bytes, summed row by row, reach the report's peak exactly",
               highest, peaks)
        expect("csv: free rows whose size is not their allocation's", wrong_frees[:3], [])
        expect("csv: rows with a stack and no site", [r for r in rows if r["stack"] != "0" and not r["site"]][:3], [])
        leak_rows = [r for r in rows if re.fullmatch(
            "AllocateAndLeak \u2190 leak_(weights|kv_cache|activation) at leak_sites\\.cc:\\d+", r["site"])]
        expect("csv: the leaks' allocations named by their sites' headlines", len(leak_rows), 6)
        print(f"  csv: {len(rows)} rows, {len(set(times))} distinct times; peaks {peaks}")

        code, out, err = export(bin_dir, capture, "--format", "collapsed")
        expect("collapsed exit", code, 0)
        expect("collapsed: no note with stacks", err, "")
        lines = collapsed_lines(out)
        expect("collapsed: one line per leak site", len(lines), 3)
        expect("collapsed bytes = leaked bytes", sum(b for _, b in lines), truth["leaked"]["bytes"])
        # Rooted at the device and type; frames named as the text report
        # names them: the allocator's folded into one, the leak site's own
        # function and its caller.
        type_names = {t for device in truth["devices"] for t in device["types"]}
        for frames, _ in lines:
            if not (re.fullmatch(r"device \d+( .*)?", frames[0]) and frames[1] in type_names):
                failures.append(f"collapsed stack not rooted at its device and type: {frames[:3]}")
            if not (frames[-1].startswith("\u2026 5 frames of the allocator (ReportAlloc, lambda in Allocate, "
                                          "BankAllocator::Allocate<")
                    and frames[-2] == "AllocateAndLeak at leak_sites.cc:18"
                    and re.fullmatch(r"leak_(weights|kv_cache|activation) at leak_sites\.cc:\d+", frames[-3])):
                failures.append(f"collapsed stack does not end at its leak site, named: {frames[-4:]}")
        code, out, err = export(bin_dir, capture, "--format", "collapsed", "--full-stacks")
        expect("collapsed --full-stacks exit", code, 0)
        for line in out.splitlines():
            frames = line.rsplit(" ", 1)[0].split(";")
            if any(f.startswith("\u2026") for f in frames) or "ReportAlloc" not in frames[-1]:
                failures.append(f"collapsed --full-stacks folded or lost a frame: {frames[-4:]}")
        code, out, err = export(bin_dir, capture, "--format", "collapsed", "--skip-frames", "(bad")
        expect("collapsed: a bad --skip-frames is said", "--skip-frames (bad" in err, True)
        code, out, err = export(bin_dir, capture, "--format", "collapsed", "--at", "peak")
        expect("collapsed --at peak exit", code, 0)
        peak_lines = collapsed_lines(out)
        peak = sum(b for _, b in peak_lines)
        type_peaks = [t["peak_bytes"] for d in summary["devices"] for t in d["types"].values()]
        if not max(type_peaks) <= peak <= sum(type_peaks):
            failures.append(f"live bytes at the peak {peak} outside [{max(type_peaks)}, {sum(type_peaks)}]")
        roots = sorted({(f[0], f[1]) for f, _ in peak_lines})
        expect("collapsed --at peak: more than one device x type (the filters below mean something)",
               len(roots) > 1, True)
        # One device and type: only theirs, at their own peak (the report's).
        for (device, type_name), bytes_ in sorted(peaks.items()):
            code, out, err = export(bin_dir, capture, "--format", "collapsed", "--at", "peak", "--device",
                                    str(device), "--type", type_name)
            scoped = collapsed_lines(out)
            expect(f"collapsed --device {device} --type {type_name}: only theirs",
                   {(re.match(r"device \d+", f[0]).group(0), f[1]) for f, _ in scoped},
                   {(f"device {device}", type_name)})
            expect(f"collapsed --at peak --device {device} --type {type_name}: their peak",
                   sum(b for _, b in scoped), bytes_)
        code, out, err = export(bin_dir, capture, "--format", "collapsed", "--device", "7")
        expect("collapsed --device of no device: exit", code, 0)
        expect("collapsed --device of no device: nothing", out, "")
        print(f"  collapsed: {len(lines)} leak stacks; {peak} bytes live at the peak, under {roots}")

        code, out, err = export(bin_dir, capture, "--format", "chrome", "--max-slices", "1000000")
        expect("chrome exit", code, 0)
        expect("chrome: no note with stacks and every slice", err, "")
        events = json.loads(out)["traceEvents"]
        slices = {}
        for e in events:
            if e["ph"] in ("b", "e"):
                slices.setdefault(e["id"], []).append(e)
        expect("chrome: a slice per buffer allocated", len(slices), truth["allocs"])
        unmatched = [pair for pair in slices.values()
                     if [e["ph"] for e in pair] != ["b", "e"] or pair[0]["ts"] > pair[1]["ts"]
                     or pair[0]["name"] != pair[1]["name"]]
        expect("chrome: slices without one b then one e, in time order", unmatched[:2], [])
        leaked = [pair for pair in slices.values() if pair[1]["args"]["end"] == "leaked"]
        expect("chrome: leaked slices = leaked buffers", len(leaked), truth["leaked"]["buffers"])
        last = {}
        highest = {}
        for e in events:
            if e["ph"] == "C" and e["name"] != "anomalies":
                last[e["name"]] = e["args"]["bytes"]
                highest[e["name"]] = max(highest.get(e["name"], 0), e["args"]["bytes"])
        expect("chrome: each counter's highest sample is the report's peak exactly", highest,
               {f"device {device} {type_name}": bytes for (device, type_name), bytes in peaks.items()})
        for device in truth["devices"]:
            for type_name, t in device["types"].items():
                name = f"device {device['device']} {type_name}"
                if name in last:
                    expect(f"chrome: {name} ends at what was live when the device closed", last[name], t["live_bytes"])
                elif t["live_bytes"]:
                    failures.append(f"chrome: no counter {name}")
        print(f"  chrome: {len(events)} events, counters {sorted(last)}")

        capture, summary, truth = record(bin_dir, work, "llm", ["llm", "--devices", "1", "--iterations", "50"])
        code, out, err = export(bin_dir, capture, "--format", "chrome")
        marks = [e for e in json.loads(out)["traceEvents"] if e["ph"] == "i" and e["name"].startswith("step ")]
        expect("chrome: a mark per decode step", len(marks), 50)

        capture, summary, truth = record(bin_dir, work, "storm", ["reuse-storm", "--threads", "2", "--iterations",
                                                                  "60000", "--hook-order", "late-free"])
        code, out, err = export(bin_dir, capture, "--format", "chrome")
        storm_events = json.loads(out)["traceEvents"]
        late_instants = [e for e in storm_events if e["name"] == "late_free_hook"]
        late = sum(e["args"]["count"] for e in late_instants)
        expect("chrome: late_free_hook instants sum to the summary's", late, summary["anomalies"]["late_free_hook"])
        counted = [e["args"]["late_free_hook"] for e in storm_events
                   if e["name"] == "anomalies" and "late_free_hook" in e["args"]]
        expect("chrome: the anomalies counter rises to the summary's late_free_hook count",
               (counted == sorted(counted), counted[-1:]), (True, [summary["anomalies"]["late_free_hook"]]))
        expect("chrome: late_free_hook instants without their facts",
               [e for e in late_instants if "what" not in e["args"] or not e["args"].get("events")][:2], [])
        code, out, err = export(bin_dir, capture, "--format", "chrome", "--max-slices", "100")
        bound = json.loads(out)
        expect("chrome --max-slices 100: slices", sum(1 for e in bound["traceEvents"] if e["ph"] == "b"), 100)
        left_out = bound["metadata"]["memledger_buffer_slices"]["left_out"]
        expect("chrome --max-slices 100: all the others left out, and said",
               (left_out, f"{left_out} buffer lifetimes left out" in err), (truth["allocs"] - 100, True))
        print(f"  chrome: {len(marks)} marks; {late} late_free_hook anomalies at {len(late_instants)} sites; "
              f"{left_out} slices left out under --max-slices 100")

        bare, _, bare_truth = record(bin_dir, work, "nostacks", ["leaky", "--leaks", "2", "--iterations", "50"],
                                     stacks="0")
        code, out, err = export(bin_dir, bare, "--format", "collapsed")
        expect("no stacks: exit", code, 0)
        expect("no stacks: a note on how to record them", "MEMLEDGER_STACKS=1" in err, True)
        lines = collapsed_lines(out)
        expect("no stacks: still the leaks, each \"[no stack]\" under its device and type",
               ({f[2] for f, _ in lines}, sum(b for _, b in lines)), ({"[no stack]"}, bare_truth["leaked"]["bytes"]))
        print(f"  no stacks: {err.strip()}")

        with open(capture, "rb") as f:
            data = f.read()
        cut = os.path.join(work, "cut.mlcap")  # 240k events: several chunks, the last ones cut
        with open(cut, "wb") as f:
            f.write(data[:len(data) * 2 // 3])
        code, out, err = export(bin_dir, cut, "--format", "csv")
        expect("cut capture: exit", code, 0)
        if "cut or damaged" not in err or len(out.splitlines()) < 2:
            failures.append(f"cut capture: {err[:300]} ({len(out.splitlines())} lines)")
        code, out, err = export(bin_dir, os.path.join(work, "missing.mlcap"), "--format", "csv")
        expect("missing capture: exit", code, 1)
        print(f"  cut capture: what is whole, and says so")

        # -o: the file appears whole or not at all; a failure says why.
        out_file = os.path.join(work, "out.csv")
        code, out, err = export(bin_dir, os.path.join(work, "missing.mlcap"), "--format", "csv", "-o", out_file)
        expect("missing capture -o: exit", code, 1)
        expect("missing capture -o: nothing left behind", sorted(f for f in os.listdir(work) if f.startswith("out.")),
               [])
        code, out, err = export(bin_dir, capture, "--format", "csv", "-o", out_file)
        expect("-o: exit", code, 0)
        expect("-o: the file holds the rows", os.path.exists(out_file) and os.path.getsize(out_file) > 0, True)
        code, out, err = export(bin_dir, capture, "--format", "csv", "-o", "/nonexistent/dir/x.csv")
        expect("-o into a missing directory: exit", code, 1)
        if "No such file or directory" not in err:
            failures.append(f"-o into a missing directory gives no reason: {err[:300]}")
        fifo = os.path.join(work, "fifo.mlcap")
        os.mkfifo(fifo)
        code, out, err = export(bin_dir, fifo, "--format", "csv")
        expect("a FIFO as the capture: exit", code, 1)
        if "not a regular file" not in err:
            failures.append(f"a FIFO as the capture: {err[:300]}")
        print("  -o: whole or nothing, with reasons; a FIFO is refused")

    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
