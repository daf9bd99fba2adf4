#!/usr/bin/env python3
"""report_test.py — `memledger report CAPTURE` on real captures of the
simulator's llm workload (stacks on, leaks injected across the decode steps):

1. The peak per device × type equals the ledger's own peak counter, happens
   inside the run, and what was live then (by site, by tag) adds up to it.
2. Leaks equal the allocator's truth; the growth section finds every leak
   site (they leak a little every few steps) by its innermost frame.
3. Top allocation sites come sorted, by bytes and by count; in every
   section of the text each site has a headline of its own, none names the
   allocator, no two rows read the same (issue 14); a site's stack is
   printed once, where it first appears, "(stack above)" after it.
4. --until ends the books there (process still running, peaks before it);
   --since leaves earlier peaks out; --since after --until is refused.
5. The progress bar shows on a terminal (a pty from `script`) and never in a pipe.
6. A capture cut at random offsets still reports, exit 0, saying what was cut,
   the process running when it ends.
7. Layout (issue 15): each device's pools fullest first (peak against
   capacity), the fullest of all marked; leaks before anomalies; --html
   alone writes the page and prints only its path, -o the report (text or
   JSON) and its path; a window past the end
   says it is empty; a capture without marks says so where growth would be;
   --no-stacks lists the same sites by headline alone; --device, --type and
   --top list only that device's, type's and that many; --json refuses the
   text's options. The demo's report (`make demo`: llm on two devices, 3
   leaks) fits in 120 lines with every section, the fullest pool on the
   first screen; the peaks shown are the fullest pools'.

usage: report_test.py BIN_DIR [--iterations N]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env

LEAK_FUNCTIONS = ("leak_weights", "leak_kv_cache", "leak_activation")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)


def report(bin_dir, capture, *extra):
    out = run([os.path.join(bin_dir, "memledger"), "report", capture, *extra])
    if out.returncode != 0:
        raise RuntimeError(f"memledger report {' '.join(extra)} failed ({out.returncode}): {out.stderr}")
    return out


def peaks_match_the_ledger(check, summary):
    device_peaks = {(d["device"], t): c["peak_bytes"] for d in summary["devices"] for t, c in d["types"].items()}
    check.true("there are peaks", len(summary["peaks"]) > 0)
    for peak in summary["peaks"]:
        where = f"device {peak['device']} {peak['type']}"
        check.expect(f"{where}: peak = the ledger's peak counter", peak["bytes"],
                     device_peaks.get((peak["device"], peak["type"])))
        live = sum(s["bytes"] for s in peak["sites"]) + peak["other_sites"]["bytes"]
        check.expect(f"{where}: what was live then adds up to the peak", live, peak["bytes"])
        check.expect(f"{where}: by tag adds up to the peak", sum(t["bytes"] for t in peak["by_tag"]), peak["bytes"])
        check.true(f"{where}: the peak is inside the run",
                   0 <= peak["time_s"] <= summary["window"]["duration_s"], peak["time_s"])
        check.true(f"{where}: sites have stacks", all(s["stack"] for s in peak["sites"]))


def leaks_and_growth(check, summary, truth):
    check.expect("leaked buffers = truth", summary["leaks"]["buffers"], truth["leaked"]["buffers"])
    check.expect("leaked bytes = truth", summary["leaks"]["bytes"], truth["leaked"]["bytes"])
    growing = " | ".join(" ".join(g["stack"]) for g in summary["growth"])
    for function in LEAK_FUNCTIONS:
        check.true(f"growth finds {function}", function in growing, growing[:3000])
    for g in summary["growth"]:
        check.true("growth: rises at least 3 times, ends above its start",
                   g["rises"] >= 3 and g["last_bytes"] > g["first_bytes"], g)


def top_sites(check, summary):
    by_bytes = summary["top_sites"]["by_bytes"]
    by_count = summary["top_sites"]["by_count"]
    check.true("top sites by bytes", 0 < len(by_bytes) <= 10)
    check.true("sorted by bytes", all(a["bytes"] >= b["bytes"] for a, b in zip(by_bytes, by_bytes[1:])))
    check.true("sorted by count",
               all(a["allocations"] >= b["allocations"] for a, b in zip(by_count, by_count[1:])))


def sites_read_apart(check, text):
    """In every section of the text report (leaks, each peak, the top sites) each
    site row has a headline of its own, none names the simulator's allocator
    (it declares its frames: they are folded) and no two rows read the same."""
    sections, current = [], None
    for line in text.splitlines():
        if not line.startswith(" ") or re.match(r"^  device \d+ .*: .* at .* s", line):
            current = []
            sections.append((line, current))
        elif current is not None:
            match = re.match(r"^ {2,4}(?:\d+\. )?\S+ \S+ in \d+ (?:buffer|allocation)s?(?:, tag [^:]*)?: (.*)$", line)
            if match:
                current.append((line, match.group(1)))
    rows = 0
    for title, sites in sections:
        labels = [label for _, label in sites]
        rows += len(sites)
        check.true(f"{title[:60]}: every site's headline its own", len(set(labels)) == len(labels), labels)
        lines = [line for line, _ in sites]
        check.true(f"{title[:60]}: no two rows alike", len(set(lines)) == len(lines), lines)
        allocator = [label for label in labels if re.match(r"(ReportAlloc|Device::|Buffer::|memledger_)", label)]
        check.true(f"{title[:60]}: no site named by the allocator's frames", not allocator, allocator)
    check.true("the text report lists sites with headlines", rows >= 10, rows)
    # Each site's stack once: where it first appears; "(stack above)" after.
    stacked, above = set(), []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^ {2,4}(?:\d+\. )?\S+ \S+ in \d+ (?:buffer|allocation)s?(?:, tag [^:]*)?: (.*)$", line)
        if not match:
            continue
        label = match.group(1)
        if label.endswith(" (stack above)"):
            above.append(label[:-len(" (stack above)")])
            continue
        following = [l for l in lines[i + 1:i + 4] if not re.match(r"^    \S", l)]
        check.true(f"{label[:60]}: its stack printed once", label not in stacked, label)
        if following and following[0].startswith("      "):
            stacked.add(label)
    check.true("a site whose stack is above was printed with it", above and all(a in stacked for a in above),
               (above, stacked))


def windows(check, bin_dir, capture, whole):
    duration = whole["window"]["duration_s"]
    half = duration / 2
    until = json.loads(report(bin_dir, capture, "--json", "--until", f"{half}").stdout)
    check.true("--until stops the replay there", until["capture"]["stopped_at_until"])
    check.expect("--until: the process is still running then", until["processes"][0]["state"], "running")
    check.true("--until: fewer events", until["events"] < whole["events"], (until["events"], whole["events"]))
    check.true("--until: every peak before it", all(p["time_s"] <= half + 1e-6 for p in until["peaks"]))
    since = json.loads(report(bin_dir, capture, "--json", "--since", f"{half * 1000:.6f}ms").stdout)
    early = [(p["device"], p["type"], p["time_s"]) for p in since["peaks"] if p["time_s"] < half - 2e-9]
    check.true(f"--since: every peak from it on ({half} s)", not early, early)
    check.true("--since: the window says so, to the nanosecond", abs(since["window"]["since_s"] - half) < 2e-9,
               (since["window"]["since_s"], half))
    text = report(bin_dir, capture, "--since", "1s", "--until", "2s").stdout
    check.true("the text report shows the window", "window: 1.000 s to" in text, text[:500])
    refused = run([os.path.join(bin_dir, "memledger"), "report", capture, "--since", "2s", "--until", "1s"])
    check.expect("--since after --until is refused", refused.returncode, 2)
    check.true("and says why", "is after --until" in refused.stderr, refused.stderr)
    for not_a_time in ("soon", "-1s", "5 parsecs", "nan", "1e400"):
        bad = run([os.path.join(bin_dir, "memledger"), "report", capture, "--since", not_a_time])
        check.true(f"--since {not_a_time!r} is refused", bad.returncode != 0 and "not a time" in bad.stderr, bad.stderr)


def layout(check, bin_dir, capture, summary, work):
    text = report(bin_dir, capture).stdout
    lines = text.splitlines()
    shares = {}  # device -> the "full" column's percentages, in the order shown
    device = None
    for line in lines:
        if m := re.match(r"device (\d+)", line):
            device = int(m.group(1))
        elif device is not None and (m := re.match(r"  \S+ +\S+ \S+ +\S+ \S+ +\S+ \S+ +([\d.]+)% ", line)):
            shares.setdefault(device, []).append(float(m.group(1)))
        elif not line.startswith("  "):
            device = None
    check.true("every device's pools are listed with how full they got", len(shares) == 2 and
               all(len(s) >= 5 for s in shares.values()), shares)
    check.true("pools fullest first", all(s == sorted(s, reverse=True) for s in shares.values()), shares)
    marked = [l for l in lines if l.endswith("\u25c0 fullest")]
    fullest = max(max(s) for s in shares.values())
    check.true("the fullest pool is marked, and only it", marked and all(f" {fullest}% " in l for l in marked), marked)
    capacity = {(d["device"], t): c for d in summary["devices"] for t, c in d.get("capacity", {}).items()}
    want = max(100 * p["bytes"] / capacity[(p["device"], p["type"])] for p in summary["peaks"]
               if capacity.get((p["device"], p["type"])))
    check.expect("the fullest is the report's fullest peak", f"{fullest:.1f}", f"{want:.1f}")
    check.true("the fullest pool on the first screen", any(l.endswith("fullest") for l in lines[:24]), lines[:24])
    check.true("leaks before anomalies", 0 <= text.find("\nleaks: ") < text.find("\nanomalies: "))
    page = os.path.join(work, "layout.html")
    only_page = report(bin_dir, capture, "--html", page)
    check.expect("--html alone prints only the page's path", only_page.stdout,
                 f"memledger report: HTML timeline written to {page}\n")
    check.true("--html wrote the page", os.path.getsize(page) > 0)
    into = os.path.join(work, "report.txt")
    to_file = report(bin_dir, capture, "-o", into)
    check.expect("-o prints only where the report went", to_file.stdout,
                 f"memledger report: report written to {into}\n")
    with open(into) as f:
        check.expect("-o writes the report it would print", f.read(), text)
    both = report(bin_dir, capture, "--json", "-o", into, "--html", page)
    check.expect("--json -o with --html: both paths, nothing else", both.stdout,
                 f"memledger report: HTML timeline written to {page}\nmemledger report: report written to {into}\n")
    with open(into) as f:
        check.expect("--json -o writes the JSON", json.load(f)["events"], summary["events"])
    empty = report(bin_dir, capture, "--since", "60m").stdout
    check.true("a window past the end says it is empty",
               re.search(r"^window: 3600\.000 s to 3600\.000 s, 0 marks \(empty: the capture lasts [\d.]+ s\)$",
                         empty, re.M), empty[:2000])
    check.true("a window without marks says so where growth would be",
               "growth across marks: no marks recorded" in empty, empty[-500:])

    def rows(report_text):
        return [l.removesuffix(" (stack above)") for l in report_text.splitlines()
                if re.match(r"  +(\d+\. )?[\d.]+ \S+ in \d+ \w+: ", l)]
    bare = report(bin_dir, capture, "--no-stacks").stdout
    check.true("--no-stacks: no frame shown", not re.search(r"^      (#\d|\u2026)", bare, re.M),
               re.findall(r"^      .*", bare, re.M)[:3])
    check.expect("--no-stacks: the same sites, named the same", rows(bare), rows(text))
    stack_lines = [l for l in lines if re.match(r"^      (#\d|\u2026)", l)]
    check.expect("--no-stacks: the report without its stacks' lines", len(bare.splitlines()),
                 len(lines) - len(stack_lines))
    scoped = report(bin_dir, capture, "--device", "1", "--type", "DRAM", "--top", "3").stdout
    places = re.findall(r"device (\d+)(?: \([^)]*\))? (\w+)", scoped)
    check.true("--device 1 --type DRAM: only device 1's DRAM", places and set(places) == {("1", "DRAM")},
               sorted(set(places)))
    check.true("--device 1 --type DRAM: its books table has one row",
               len(re.findall(r"^  DRAM +\S+", scoped, re.M)) == 1 and "\n  L1 " not in scoped, scoped[:800])
    title = "top allocation sites (the 3 largest by bytes and the 3 most allocated):"
    section = scoped[scoped.find(title):].split("\n")[1:] if title in scoped else []
    ranked = [l.split(".")[0].strip() for l in section if re.match(r"   ?\d+\. ", l)]
    check.true("--top 3: the 3 largest and the 3 most allocated, each once", 3 <= len(ranked) <= 6 and
               ranked == [str(n) for n in range(1, len(ranked) + 1)], (ranked, scoped[-1500:]))
    peaks = re.findall(r"^  device \d+ .*: .* at [\d.]+ s \(([\d.]+)% of", text, re.M)
    shown = [float(p) for p in peaks]
    check.true("the peaks shown are the fullest pools', fullest first",
               len(shown) == 5 and shown == sorted(shown, reverse=True) and shown[0] == fullest, shown)
    check.true("and the rest are counted", re.search(r"^  \u2026 the peaks of \d+ more pools? ", text, re.M),
               text[-3000:])
    refused = run([os.path.join(bin_dir, "memledger"), "report", capture, "--json", "--leaks"])
    check.true("--json --leaks is refused, saying why", refused.returncode == 2 and "excludes" in refused.stderr,
               (refused.returncode, refused.stderr))


def the_demo_fits_a_screenful(check, bin_dir, work, sanitized):
    """`make demo`'s capture: its text report in at most 120 lines (in the
    release build `make demo` makes: a sanitized one's simulator keeps more
    frames, so more sites), every section there, the fullest pool on the
    first screen (24 lines)."""
    capture = os.path.join(work, "demo.mlcap")
    made = run([os.path.join(bin_dir, "memledger"), "run", "-o", capture, "--",
                os.path.join(bin_dir, "memledger-sim"), "llm", "--devices", "2", "--leaks", "3"],
               env=clean_env(MEMLEDGER_STACKS="1"))
    check.expect("the demo's run", made.returncode, 0)
    text = report(bin_dir, capture).stdout
    lines = text.splitlines()
    if not sanitized:
        check.true("the demo's report fits in 120 lines", len(lines) <= 120, (len(lines), text))
    for section in ("leaks: 3 buffers", "anomalies: ", "window: ", "peaks (the 5 fullest of 14 pools):",
                    "top allocation sites (", "growth across marks"):
        check.true(f"the demo's report has '{section}'", any(l.startswith(section) for l in lines), text)
    check.true("the demo's leaks show their stacks",
               all(re.search(rf"^      #\d+ .*{f}", text, re.M) for f in LEAK_FUNCTIONS), text[:3000])
    check.true("the demo's fullest pool on the first screen", any(l.endswith("\u25c0 fullest") for l in lines[:24]),
               lines[:24])


def progress_bar(check, bin_dir, capture):
    memledger = os.path.join(bin_dir, "memledger")
    tty = run(["script", "-qec", f"'{memledger}' report '{capture}' > /dev/null", "/dev/null"])
    check.expect("report under a pty", tty.returncode, 0)
    check.true("a progress bar on a terminal", "reading " in tty.stdout and "%" in tty.stdout, tty.stdout[-500:])
    piped = report(bin_dir, capture)
    check.true("no progress bar into a pipe", "reading " not in piped.stderr, piped.stderr[-500:])


def cut_captures(check, bin_dir, capture, work):
    with open(capture, "rb") as f:
        data = f.read()
    cut_path = os.path.join(work, "cut.mlcap")
    rng = random.Random(5)
    for offset in sorted(rng.randrange(64, len(data)) for _ in range(8)):
        with open(cut_path, "wb") as f:
            f.write(data[:offset])
        out = run([os.path.join(bin_dir, "memledger"), "report", cut_path, "--json"])
        check.expect(f"cut at {offset}: report exit status", out.returncode, 0)
        if out.returncode != 0:
            continue
        summary = json.loads(out.stdout)
        check.true(f"cut at {offset}: says what was cut", "cut or damaged" in out.stderr and summary["capture"]["problem"],
                   out.stderr)
        # No end record: running when the capture ends, nothing leaked
        # (cut_capture_test.py checks what is live then).
        check.expect(f"cut at {offset}: the process is running when the capture ends",
                     summary["processes"][0]["state"], "running")
        check.expect(f"cut at {offset}: no leaks invented", summary["leaks"]["buffers"], 0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--iterations", type=int, default=600)
    parser.add_argument("--sanitized", action="store_true",
                        help="a sanitizer build: its stacks are not the release demo's, so its report's length is not")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        capture = os.path.join(work, "llm.mlcap")
        truth_path = os.path.join(work, "truth.json")
        env = clean_env(MEMLEDGER_STACKS="1")
        leaks = args.iterations // 5
        sim = run([os.path.join(args.bin_dir, "memledger"), "run", "-o", capture, "--",
                   os.path.join(args.bin_dir, "memledger-sim"), "llm", "--iterations", str(args.iterations),
                   "--leaks", str(leaks), "--truth-json", truth_path], env=env)
        check.expect("tracked llm run", sim.returncode, 0)
        with open(truth_path) as f:
            truth = json.load(f)
        summary = json.loads(report(args.bin_dir, capture, "--json").stdout)
        check.expect("the capture is whole", summary["capture"]["problem"], "")
        peaks_match_the_ledger(check, summary)
        leaks_and_growth(check, summary, truth)
        top_sites(check, summary)
        text = report(args.bin_dir, capture).stdout
        for section in ("\npeaks", "\ntop allocation sites (", "\ngrowth across marks", "\nleaks: ", "\nanomalies: ",
                        "\nwindow: "):
            check.true(f"the text report has '{section}'", section in text, text[-3000:])
        sites_read_apart(check, text)
        layout(check, args.bin_dir, capture, summary, work)
        the_demo_fits_a_screenful(check, args.bin_dir, work, args.sanitized)
        windows(check, args.bin_dir, capture, summary)
        progress_bar(check, args.bin_dir, capture)
        cut_captures(check, args.bin_dir, capture, work)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
