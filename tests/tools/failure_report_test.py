#!/usr/bin/env python3
"""failure_report_test.py — allocation failures on every report surface
(issue 16), provoked by failing_program.c with stacks on: the text report's
"allocation failures" section (before the leaks and the peaks; a storm of
1000 identical failures one entry; the request per bank; free, holes and the
largest block; the verdict and its meaning; where it was requested; holders
by site; for fragmented the buffers that split the space, for the CB clash
the L1 buffers below the region with their marks), the free space on the
device's row, the summary JSON (`allocation_failures`, free-space members per
device x type), the exit report (one renderer), and `--map` at the end, at a
time and at a failure. Without failures the section is absent (the demo's
report_test.py keeps its budget).

usage: failure_report_test.py BIN_DIR FAILING_PROGRAM
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env

KIB = 1024


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def section(text, title):
    """The lines of `text` from the one starting with `title` to the next unindented one."""
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith(title)), None)
    if start is None:
        return []
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


def check_text(check, text):
    lines = text.splitlines()
    first = lambda prefix: next((i for i, l in enumerate(lines) if l.startswith(prefix)), None)
    failures_at, leaks_at = first("allocation failures:"), first("leaks:")
    check.true("text: the failures section is there", failures_at is not None, text[:3000])
    if failures_at is None:
        return
    check.true("text: failures before the leaks and the peaks", leaks_at is not None and failures_at < leaks_at)
    check.expect("text: the section's headline", lines[failures_at],
                 "allocation failures: 1002 (exhausted 1, fragmented 1000, cb_clash 1)")
    block = section(text, "allocation failures:")
    joined = "\n".join(block)
    entries = [l for l in block if re.match(r"  \S", l)]
    check.expect("text: three groups (the storm is one)", len(entries), 3)
    check.true("text: the storm's entry", entries and re.match(
        r"  fragmented x1000: 24\.0 KiB across 4 banks, 6\.0 KiB per bank of L1 on device 0 \(fail-device\), pid \d+",
        entries[0]), entries[:1])
    check.true("text: the verdict's meaning", "    enough was free in all, but no free block was large enough" in block)
    check.true("text: free space then, per bank",
               "    L1 then: 44.0 KiB (11.0 KiB per bank) free in 8 holes, the largest block 6.0 KiB (1.5 KiB per bank);"
               " 20.0 KiB live of 64.0 KiB" in block, joined)
    check.true("text: where it was requested",
               re.search(r"^    requested at: request_a_large_l1_buffer at failing_program\.c:\d+$", joined, re.M), joined)
    check.true("text: the holders by site", re.search(
        r"^      16\.0 KiB in 8 buffers: weights_in_l1 at failing_program\.c:\d+", joined, re.M), joined)
    check.true("text: the splitters", re.search(r"^    split by \d+ buffers? inside the cheapest 24\.0 KiB window", joined,
                                                 re.M), joined)
    check.true("text: the clash's region", "    the circular buffers would end at 0x2000, over 2 live L1 buffers below it"
               " (those that outlived their use?):" in block, joined)
    check.true("text: the outliving activation, its mark and tag", re.search(
        r'^      4\.0 KiB in 1 buffer from 0x0, live [\d.]+ \w+, since mark "step 1": keep_activation at '
        r"failing_program\.c:\d+, tag activations, pid \d+", joined, re.M), joined)
    check.true("text: the weight under the region, since load", re.search(
        r'^      2\.0 KiB in 1 buffer from 0x1800, live [\d.]+ \w+, since mark "load": weights_in_l1 at failing_program\.c'
        r":\d+, pid \d+ \(stack above\)", joined, re.M), joined)
    check.true("text: exhaustion without a map", re.search(
        r"^  exhausted: 200\.0 KiB of DRAM on device 0 \(fail-device\)", joined, re.M) and
        "    DRAM then: no address space declared: no map of its holes; 900.0 KiB live of 1.0 MiB" in block, joined)
    # Each stack once in the whole report: a site's frame lines appear once.
    for function in ("weights_in_l1", "keep_activation", "request_a_large_l1_buffer"):
        frames = [l for l in lines if re.match(rf"\s+#\d+ {function} at ", l)]
        check.expect(f"text: {function}'s stack printed once", len(frames), 1)
    # The books end with the process: what it held leaked, and left the space
    # whole — nothing live there, so the row does not repeat the whole space.
    row = next((l for l in lines if l.startswith("  L1 ")), "")
    check.true("text: the L1 row says no free space when nothing is live", row != "" and "free in" not in row, row)


def check_json(check, summary):
    failures = summary.get("allocation_failures", {})
    check.expect("json: by verdict", failures.get("by_verdict"),
                 {"exhausted": 1, "fragmented": 1000, "cb_clash": 1, "unexplained": 0, "no_address_space": 0})
    check.expect("json: total", failures.get("total"), 1002)
    groups = failures.get("failures", [])
    check.expect("json: groups", [(g["verdict"], g["type"], g["count"]) for g in groups],
                 [("fragmented", "L1", 1000), ("cb_clash", "CB", 1), ("exhausted", "DRAM", 1)])
    if len(groups) != 3:
        return
    frag, clash, exhausted = groups
    check.expect("json: fragmented facts",
                 {k: frag.get(k) for k in ("size", "extent", "banks", "extent_per_bank", "free_bytes",
                                           "largest_free_block_bytes", "holes", "live_bytes", "capacity")},
                 dict(size=24 * KIB, extent=24 * KIB, banks=4, extent_per_bank=6 * KIB, free_bytes=44 * KIB,
                      largest_free_block_bytes=6 * KIB, holes=8, live_bytes=20 * KIB, capacity=64 * KIB))
    check.true("json: requested at", frag["headline"].startswith("request_a_large_l1_buffer at failing_program.c:") and
               frag["stack"], frag["headline"])
    check.expect("json: holders", [(h["headline"].split(" at ")[0], h["bytes"], h["buffers"]) for h in frag["holders"]],
                 [("weights_in_l1", 16 * KIB, 8), ("keep_activation", 4 * KIB, 1)])
    check.true("json: splitters inside the window", frag["blockers"] and all(
        frag["window_start"] < b["address"] + b["size"] and b["address"] < frag["window_start"] + 24 * KIB
        for b in frag["blockers"]), str(frag.get("blockers"))[:500])
    check.expect("json: the clash's blockers",
                 [(b["address"], b["size"], b["mark"], b["tag"], b["headline"].split(" at ")[0]) for b in clash["blockers"]],
                 [(0, 4 * KIB, "step 1", "activations", "keep_activation"), (6 * KIB, 2 * KIB, "load", "", "weights_in_l1")])
    check.expect("json: the clash's region", (clash.get("region_end"), clash["space_type"]), (8 * KIB, "L1"))
    check.true("json: blockers' live time", all(b["live_s"] >= 0 for b in clash["blockers"]))
    check.expect("json: exhausted without a map", (exhausted["has_address_space"], "free_bytes" in exhausted), (False, False))
    device = summary["devices"][0]
    check.expect("json: L1's free space", {k: device["types"]["L1"].get(k) for k in
                                           ("free_bytes", "largest_free_block_bytes", "holes", "banks")},
                 dict(free_bytes=64 * KIB, largest_free_block_bytes=64 * KIB, holes=1, banks=4))
    check.expect("json: DRAM has no free-space members", "free_bytes" in device["types"]["DRAM"], False)
    check.expect("json: the process's failures", summary["processes"][0].get("alloc_failures"), 1002)


def expected_map():
    """L1 at the failures: 1 KiB a column; B the activation at [0, 4 KiB), A the weights at 6 + 8i KiB."""
    columns = ["."] * 64
    for c in range(4):
        columns[c] = "B"
    for i in range(8):
        columns[6 + 8 * i] = columns[7 + 8 * i] = "A"
    return "".join(columns)


def check_map(check, memledger, capture):
    out = run([memledger, "report", capture, "--map", "0:L1@failure:1"])
    check.expect("map at failure 1: exit", out.returncode, 0)
    lines = out.stdout.splitlines()
    print(out.stdout)
    check.true("map: its heading", lines and lines[0].startswith(
        "device 0 (fail-device) L1 at failure 1 (fragmented, 24576 B of L1, seq ") and
        lines[0].endswith("[0x0, 0x10000), 64.0 KiB across 4 banks, 16.0 KiB per bank; a column is 1.0 KiB"),
        lines[:1])
    check.expect("map: the line", lines[1] if len(lines) > 1 else None, f"  |{expected_map()}|")
    check.expect("map: the CB line", lines[2] if len(lines) > 2 else None, f"  |{'.' * 64}| CB none live")
    check.expect("map: where the request would go", lines[3] if len(lines) > 3 else None,
                 f"  |{'.' * 4}{'=' * 24}{'.' * 36}| the cheapest window for the failing 24.0 KiB: [0x1000, 0x7000)")
    check.true("map: the legend", re.search(r"^  A 16\.0 KiB in 8 buffers: weights_in_l1 at failing_program\.c:\d+$",
                                            out.stdout, re.M) and
               re.search(r"^  B 4\.0 KiB in 1 buffer: keep_activation at failing_program\.c:\d+, tag activations$",
                         out.stdout, re.M), out.stdout)
    check.true("map: the holes in numbers",
               "  44.0 KiB (11.0 KiB per bank) free in 8 holes, the largest block 6.0 KiB (1.5 KiB per bank)" in lines and
               any(l.startswith("  holes, lowest first: [0x1000, 0x1800) 2.0 KiB, [0x2000, 0x3800) 6.0 KiB,") for l in lines),
               out.stdout)
    # At the CB clash: the same buffers, the CB region's failure named.
    out = run([memledger, "report", capture, "--map", "0:L1@failure:1001"])
    check.true("map at the clash", out.returncode == 0 and "at failure 1001 (cb_clash, 8192 B of CB, seq " in out.stdout
               and f"  |{expected_map()}|" in out.stdout.splitlines() and
               f"  |{'=' * 8}{'.' * 56}| the failing CB region [0x0, 0x2000)" in out.stdout.splitlines(), out.stdout)
    # At the end the process has ended: what it held leaked and left the space.
    out = run([memledger, "report", capture, "--map", "0:L1"])
    check.true("map at the end", out.returncode == 0 and "L1 at the end of the capture:" in out.stdout and
               f"  |{'.' * 64}|" in out.stdout.splitlines() and "  holes, lowest first: [0x0, 0x10000) 64.0 KiB"
               in out.stdout.splitlines(), out.stdout)
    # At time 0 the first record (the device's open) is not applied yet.
    out = run([memledger, "report", capture, "--map", "0:L1@0"])
    check.true("map at time 0", out.returncode == 1 and "the capture has no device 0 by that instant" in out.stderr,
               out.stdout + out.stderr)
    out = run([memledger, "report", capture, "--map", "0:DRAM"])
    check.true("map of a type without a space says so", out.returncode == 0 and "no address space declared" in out.stdout,
               out.stdout)
    out = run([memledger, "report", capture, "--map", "0:L1@failure:2000"])
    check.true("map at a failure the capture lacks", out.returncode == 1 and
               "failure:2000 asked, the capture has 1002 allocation failures" in out.stderr, out.stderr)
    out = run([memledger, "report", capture, "--map", "L1"])
    check.true("map: bad syntax", out.returncode == 2 and "DEVICE:TYPE[@TIME]" in out.stderr, out.stderr)


def main():
    bin_dir, program = sys.argv[1:3]
    check = Checker()
    memledger = os.path.join(bin_dir, "memledger")
    with tempfile.TemporaryDirectory(prefix="memledger-failures-") as work:
        capture = os.path.join(work, "failing.mlcap")
        out = run([memledger, "run", "--output", capture, "--", program], env=clean_env(MEMLEDGER_STACKS="1"))
        check.expect("run exit", out.returncode, 0)
        # The exit report is the same renderer: the section is there.
        check.true("exit report: the failures section", "allocation failures: 1002 (exhausted 1, fragmented 1000, cb_clash 1)"
                   in out.stderr, out.stderr[-3000:])
        out = run([memledger, "report", capture])
        check.expect("report exit", out.returncode, 0)
        print(out.stdout)
        check_text(check, out.stdout)
        out = run([memledger, "report", capture, "--json"])
        check.expect("report --json exit", out.returncode, 0)
        if out.returncode == 0:
            check_json(check, json.loads(out.stdout))
        check_map(check, memledger, capture)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
