#!/usr/bin/env python3
"""anomaly_facts_test.py — every anomaly kind, provoked once by a small C
program (anomaly_program.c), is reported with all its facts (issue 14, item
4): the buffers involved (identity, address range, size, device, type, tag),
for an overlap both buffers, for a double free the allocation, the first free
and the second, each event with its sequence number and, with stacks, the
function that made it — in the JSON (`anomaly_sites[].first`) and in the text
report; without stacks the same facts and a hint to record them.

usage: anomaly_facts_test.py BIN_DIR ANOMALY_PROGRAM
"""
import json
import os
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env

# What anomaly_program.c does: per kind, the buffer concerned (id, address,
# size, type), the other buffer (or None), and each event's role with the
# function that makes it.
EXPECTED = {
    "unknown_free": dict(buffer=(99, 0x9000, 0), type="DRAM", other=None,
                         events=[("freed", "free_never_allocated")],
                         what="buffer 99 at 0x9000 on device 0 DRAM, tag anomalies: freed, never seen allocated"),
    "double_free": dict(buffer=(7, 0x10000, 4096), type="DRAM", other=None,
                        events=[("allocated", "allocate_weights"), ("first freed", "release_weights"),
                                ("freed again", "release_weights_again")],
                        what="buffer 7, [0x10000, 0x11000) 4.0 KiB on device 0 DRAM, tag anomalies: freed twice"),
    "double_alloc": dict(buffer=(8, 0x20000, 4096), type="DRAM", other=(8, 0x30000, 8192),
                         events=[("allocated", "allocate_cache"), ("allocated again", "allocate_cache_again")],
                         what="buffer 8, [0x20000, 0x21000) 4.0 KiB on device 0 DRAM, tag anomalies: allocated "
                              "again while live, as [0x30000, 0x32000) 8.0 KiB"),
    "overlap": dict(buffer=(10, 0x40000, 65536), type="L1", other=(11, 0x48000, 16384),
                    events=[("allocated", "allocate_halo"), ("the other allocated over it", "allocate_over_halo"),
                            ("freed", "release_halo")],
                    what="buffer 10, [0x40000, 0x50000) 64.0 KiB on device 0 L1, tag anomalies, overlapped by "
                         "buffer 11, [0x48000, 0x4c000) 16.0 KiB"),
    "late_free_hook": dict(buffer=(20, 0x80000, 4096), type="DRAM", other=(21, 0x80000, 4096),
                           events=[("allocated", "allocate_scratch"),
                                   ("the other allocated over it", "reuse_scratch_before_its_free"),
                                   ("freed", "release_scratch")],
                           what="buffer 20, [0x80000, 0x81000) 4.0 KiB on device 0 DRAM, tag anomalies, overlapped "
                                "by buffer 21, [0x80000, 0x81000) 4.0 KiB"),
}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


def record(check, bin_dir, program, capture, stacks):
    env = clean_env(MEMLEDGER_STACKS="1") if stacks else clean_env()
    out = run([os.path.join(bin_dir, "memledger"), "run", "--output", capture, "--", program], env=env)
    check.expect(f"run (stacks {stacks}) exit", out.returncode, 0)
    if out.returncode != 0:
        print(out.stderr[-3000:])


def check_json(check, what, summary, stacks):
    anomalies = summary["anomalies"]
    for kind in EXPECTED:
        check.expect(f"{what}: {kind} count", anomalies[kind], 1)
    check.expect(f"{what}: nothing dropped", summary.get("dropped_events", 0), 0)
    sites = {}
    for site in summary["anomaly_sites"]:
        sites.setdefault(site["kind"], []).append(site)
    for kind, want in EXPECTED.items():
        got = sites.get(kind, [])
        check.expect(f"{what}: {kind} sites", len(got), 1)
        if len(got) != 1:
            continue
        first = got[0]["first"]
        check.expect(f"{what}: {kind} what", first["what"], want["what"])
        check.expect(f"{what}: {kind} device", first["device"], 0)
        check.expect(f"{what}: {kind} type", first["type"], want["type"])
        buffer = first["buffer"]
        check.expect(f"{what}: {kind} buffer", (buffer["identity"], buffer["address"], buffer["size"]), want["buffer"])
        check.expect(f"{what}: {kind} tag", buffer["tag"], "anomalies")
        other = first.get("other")
        check.expect(f"{what}: {kind} other", other and (other["identity"], other["address"], other["size"]),
                     want["other"])
        roles = [e["role"] for e in first["events"]]
        check.expect(f"{what}: {kind} events", roles, [role for role, _ in want["events"]])
        seqs = [e["seq"] for e in first["events"]]
        check.true(f"{what}: {kind} events in order", all(0 < a < b for a, b in zip(seqs, seqs[1:])), str(seqs))
        for event, (role, function) in zip(first["events"], want["events"]):
            if stacks:
                check.true(f"{what}: {kind} {role} made by {function}",
                           event.get("headline", "").startswith(function + " at anomaly_program.c:"),
                           event.get("headline"))
            else:
                check.true(f"{what}: {kind} {role} has no stack", "stack" not in event, str(event))


def check_text(check, what, text, stacks):
    lines = text.splitlines()
    check.true(f"{what}: no line over 200 characters", all(len(l) <= 200 for l in lines),
               max(lines, key=len) if lines else "")
    for kind, want in EXPECTED.items():
        # The site's title, then what happened, then each event.
        starts = [i for i, l in enumerate(lines) if l.startswith(f"  {kind} x1, pid ")]
        check.expect(f"{what}: {kind} listed once", len(starts), 1)
        if len(starts) != 1:
            continue
        block = lines[starts[0] + 1:]
        end = next((i for i, l in enumerate(block) if not l.startswith("    ")), len(block))
        block = block[:end]
        check.expect(f"{what}: {kind} says what", block[0] if block else None, "    " + want["what"])
        events = [l for l in block if re.match(r"    \S", l)][1:]
        check.expect(f"{what}: {kind} event lines", len(events), len(want["events"]))
        for line, (role, function) in zip(events, want["events"]):
            pattern = rf"    {re.escape(role)} \(seq \d+\)" + (
                rf" at: {function} at anomaly_program\.c:\d+$" if stacks else "$")
            check.true(f"{what}: {kind} {role}", re.match(pattern, line), f"{line!r} !~ {pattern!r}")
    hint = "(recorded without stacks: MEMLEDGER_STACKS=1 records where each came from)"
    check.expect(f"{what}: the hint to record stacks", hint in text, not stacks)


def main():
    bin_dir, program = sys.argv[1:3]
    check = Checker()
    memledger = os.path.join(bin_dir, "memledger")
    with tempfile.TemporaryDirectory(prefix="memledger-anomalies-") as work:
        for stacks in (True, False):
            what = "with stacks" if stacks else "without stacks"
            capture = os.path.join(work, f"anomalies-{int(stacks)}.mlcap")
            record(check, bin_dir, program, capture, stacks)
            out = run([memledger, "report", capture, "--json"])
            check.expect(f"{what}: report --json exit", out.returncode, 0)
            if out.returncode == 0:
                check_json(check, what, json.loads(out.stdout), stacks)
            out = run([memledger, "report", capture])
            check.expect(f"{what}: report exit", out.returncode, 0)
            check_text(check, what, out.stdout, stacks)
            if stacks:
                section = out.stdout[out.stdout.find("anomalies:"):]
                print(section[:section.find("\n\n")] if "\n\n" in section else section)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
