#!/usr/bin/env python3
"""bounded_page_test.py — a history longer than the HTML page's budget of
changes makes a bounded page (issue 19, part 4; src/report/timeline_plan.h),
and what it keeps is what the whole page holds, compared change by change
with the page of the same capture made whole (page_data.py decodes both):

1. `memledger-sim llm` (about 630k changes) made into a page whole and with
   --html-changes 60000: the bounded page says so (meta.detail: the whole
   history's count, the bucket width, its detail windows) and holds at most
   the budget's changes; every pool's peak is the whole page's; in every
   bucket, every pool's lowest and highest total are the whole page's; inside
   every detail window, every series' live bytes after each instant, and the
   live blocks of every address space, are the whole page's; only coarse
   series use the coarse site and carry no address; the report's JSON is the
   same either way (the second reading's books are the first's). Under its
   budget a page is whole: no meta.detail.
2. The same with --since (a third in): the page begins with what was live
   then and keeps nothing before; after it every instant is the whole
   history's; bounded against whole, as above.
3. `memledger-sim fragment` (allocation failures) with --html-changes 4000,
   1000 (windows of a few dozen changes) and 4000 --since: within the budget;
   each failure inside a window is kept with the live blocks of its space
   before it as the whole page has them; one between windows says so
   (in_detail false), so the page offers no map of it.

Times on the page are instants: changes at one instant are one step (the
bounded page's coarse stand-ins and a window's opening move at one instant).

usage: bounded_page_test.py BIN_DIR
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checks import Checker, clean_env  # noqa: E402
from page_data import read_page  # noqa: E402

BOUND = 600  # seconds for any one command


def capture(bin_dir, path, *workload):
    subprocess.run([os.path.join(bin_dir, "memledger-sim"), *workload], check=True, timeout=BOUND,
                   env=clean_env(MEMLEDGER="1", MEMLEDGER_OUTPUT=path, MEMLEDGER_REPORT="0"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def page(bin_dir, capture_path, out, *args):
    """The page of `capture_path` (and the report's JSON, printed beside it)."""
    run = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture_path, "--json", "--html", out, *args],
                         capture_output=True, text=True, timeout=BOUND, env=clean_env())
    if run.returncode != 0:
        sys.exit(f"memledger report --html {' '.join(args)} failed:\n{run.stderr[-3000:]}")
    return read_page(out), json.loads(run.stdout)


def series_name(meta, series):
    """What a series is, the same on every page of a capture: (device, type,
    tag); a coarse stand-in is its series."""
    s = meta["series"][series]
    return (s["device"], s["type"], s["tag"])


def instants(meta, changes):
    """(time, live bytes per series name) after the last change of each instant."""
    live = collections.defaultdict(int)
    out = []
    for i, c in enumerate(changes):
        live[series_name(meta, c["series"])] += c["delta"]
        if i + 1 == len(changes) or changes[i + 1]["time"] != c["time"]:
            out.append((c["time"], dict(live)))
    return out


def pool_totals(meta, states):
    """Per instant, per pool, its total."""
    totals = []
    for time, live in states:
        per_pool = collections.defaultdict(int)
        for name, value in live.items():
            per_pool[name[:2]] += value
        totals.append((time, per_pool))
    return totals


def bucket_extremes(totals, width):
    """(pool, bucket) -> (lowest, highest) total in the bucket, as a chart
    column of its width draws it: the total carried into it, and after each
    instant in it."""
    out = {}
    last = {}
    for time, per_pool in totals:
        bucket = time // width
        for pool, value in per_pool.items():
            key = (pool, bucket)
            if key not in out:
                carried = last.get(pool, value)
                out[key] = (min(carried, value), max(carried, value))
            low, high = out[key]
            out[key] = (min(low, value), max(high, value))
            last[pool] = value
    return out


def live_blocks(meta, changes, upto):
    """Per space, the multiset of (address, size) live after changes[:upto]."""
    blocks = collections.defaultdict(collections.Counter)
    for c in changes[:upto]:
        if c["address"] is None:
            continue
        space = meta["series"][c["series"]]["space"]
        key = (c["address"], abs(c["delta"]))
        blocks[space][key] += 1 if c["delta"] > 0 else -1
    return {space: +counter for space, counter in blocks.items() if +counter}


def index_after(changes, time):
    """The number of changes at `time` or before."""
    return next((i for i, c in enumerate(changes) if c["time"] > time), len(changes))


def compare(check, what, whole_page, bounded_page, budget, changes_total):
    """The bounded page against the whole page of the same capture; `changes_total`: the history's changes."""
    (whole_meta, whole), whole_json = whole_page
    (meta, changes), bounded_json = bounded_page
    detail = meta.get("detail")
    check.true(f"{what}: the whole page has no detail block", "detail" not in whole_meta)
    check.true(f"{what}: bounded (meta.detail)", detail is not None)
    if detail is None:
        return
    print(f"  {what}: {len(whole):,} changes whole; bounded {len(changes):,}, windows {len(detail['windows'])}")
    check.true(f"{what}: the whole page has more changes than 4x the budget (the test shows something)",
               len(whole) > 4 * budget)
    check.expect(f"{what}: the whole history's count", detail["changes_total"], changes_total)
    check.true(f"{what}: within its budget ({len(changes)} changes)", len(changes) <= budget)
    check.true(f"{what}: windows around the peaks and the end", len(detail["windows"]) >= 2 and
               any("the end" in w["why"] for w in detail["windows"]) and
               any("the peak of DRAM" in w["why"] for w in detail["windows"]), detail["windows"])
    check.expect(f"{what}: the same report JSON (both readings book the same)", bounded_json, whole_json)
    coarse_site = detail["coarse_site"]
    check.expect(f"{what}: coarse changes, and only they, on the coarse site (and no address)",
                 [c for c in changes if (c["site"] == coarse_site) != bool(meta["series"][c["series"]].get("coarse"))
                  or (c["site"] == coarse_site and c["address"] is not None)][:3], [])

    whole_states = instants(whole_meta, whole)
    states = instants(meta, changes)
    whole_totals = pool_totals(whole_meta, whole_states)
    totals = pool_totals(meta, states)
    peaks = lambda ts: {pool: max(t[1].get(pool, 0) for t in ts) for pool in {p for _, pp in ts for p in pp}}
    check.expect(f"{what}: every pool's peak is the whole page's", peaks(totals), peaks(whole_totals))
    width = detail["bucket_ns"]
    want = bucket_extremes(whole_totals, width)
    got = bucket_extremes(totals, width)
    wrong = [(key, got.get(key), value) for key, value in want.items() if got.get(key) != value]
    check.expect(f"{what}: every pool's lowest and highest in each of {len(want)} buckets", wrong[:3], [])

    # Inside each window: the same live bytes per series after every instant, the same blocks.
    by_time = dict(whole_states)
    nonzero = lambda live: {k: v for k, v in live.items() if v}
    for window in detail["windows"]:
        begin, end = window["begin_ns"], window["end_ns"]
        inside = [(t, live) for t, live in states if begin <= t <= end]
        differ = [(t, nonzero(live), nonzero(by_time.get(t, {}))) for t, live in inside
                  if nonzero(live) != nonzero(by_time.get(t, {}))]
        check.expect(f"{what}: window {window['why'][:60]!r}: {len(inside)} instants as the whole page has them",
                     [str(d)[:300] for d in differ[:1]], [])
        # The blocks at an instant inside it (at its end, a window that
        # closes hands back to the coarse series).
        middle = next((t for t, _ in inside if t >= (begin + end) // 2), None)
        if middle is not None and (middle < end or window is detail["windows"][-1]):
            got_blocks = live_blocks(meta, changes, index_after(changes, middle))
            want_blocks = live_blocks(whole_meta, whole, index_after(whole, middle))
            check.true(f"{what}: window {window['why'][:60]!r}: the live blocks of every space within it",
                       got_blocks == want_blocks, str((got_blocks, want_blocks))[:600])
    return whole_states


def llm_case(check, bin_dir, tmp):
    cap = os.path.join(tmp, "llm.mlcap")
    capture(bin_dir, cap, "llm", "--iterations", "300", "--host-work", "0", "--leaks", "5")
    budget = 60000
    whole = page(bin_dir, cap, os.path.join(tmp, "whole.html"))
    bounded = page(bin_dir, cap, os.path.join(tmp, "bounded.html"), "--html-changes", str(budget))
    whole_states = compare(check, "llm", whole, bounded, budget, len(whole[0][1]))

    # --since: the page begins with what was live then, whole or bounded.
    since_ns = whole[0][0]["duration_ns"] // 3
    since = f"{since_ns / 1e9:.9f}"
    whole_since = page(bin_dir, cap, os.path.join(tmp, "whole-since.html"), "--since", since)
    bounded_since = page(bin_dir, cap, os.path.join(tmp, "bounded-since.html"), "--since", since, "--html-changes",
                         str(budget))
    (meta, changes), _ = whole_since
    after = sum(1 for c in whole[0][1] if c["time"] >= meta["since_ns"])
    live_then = sum(1 for c in whole[0][1] if c["time"] < meta["since_ns"] and c["delta"] > 0) - \
        sum(1 for c in whole[0][1] if c["time"] < meta["since_ns"] and c["delta"] < 0)
    check.expect("--since: the page keeps the buffers live then and every change after, nothing before",
                 len(changes), live_then + after)
    since_states = instants(meta, changes)
    before = [live for t, live in whole_states if t < meta["since_ns"]]
    nonzero = lambda live: {k: v for k, v in live.items() if v}
    check.expect("--since: it begins with what was live then", nonzero(since_states[0][1]) if since_states else None,
                 nonzero(before[-1]) if before else {})
    later = {t: live for t, live in whole_states if t > meta["since_ns"]}
    check.expect("--since: after it, every instant as the page of the whole history has it",
                 [t for t, live in since_states if t in later and nonzero(live) != nonzero(later[t])][:3], [])
    if whole_states is not None:
        compare(check, "llm --since", whole_since, bounded_since, budget, after)


def fragment_case(check, bin_dir, tmp):
    cap = os.path.join(tmp, "fragment.mlcap")
    capture(bin_dir, cap, "fragment", "--seed", "7", "--iterations", "20000")
    (first_meta, _), _ = page(bin_dir, cap, os.path.join(tmp, "fragment-whole.html"))
    third = f"{first_meta['duration_ns'] / 3e9:.9f}"  # a third in: failures on either side
    for budget, since in ((4000, None), (1000, None), (4000, third)):
        what = f"fragment, --html-changes {budget}" + (f" --since {since}" if since else "")
        extra = ["--since", since] if since else []
        (whole_meta, whole), _ = page(bin_dir, cap, os.path.join(tmp, "fragment-whole.html"), *extra)
        (meta, changes), _ = page(bin_dir, cap, os.path.join(tmp, "fragment-bounded.html"), "--html-changes",
                                  str(budget), *extra)
        failures = meta["failures"]
        print(f"  {what}: {len(whole):,} changes whole, bounded {len(changes):,}; {len(failures)} failures, "
              f"{sum(1 for f in failures if f.get('in_detail', True))} in detail")
        check.true(f"{what}: bounded", "detail" in meta)
        if "detail" not in meta:
            continue
        check.true(f"{what}: within its budget ({len(changes)})", len(changes) <= budget)
        check.true(f"{what}: failures", len(failures) >= 2)
        kept = 0
        for f, wf in zip(failures, whole_meta["failures"]):
            if f.get("in_detail", True):
                kept += 1
                check.expect(f"{what}: failure {f['number']}: the blocks before it as the whole page has them",
                             live_blocks(meta, changes, f["change"]), live_blocks(whole_meta, whole, wf["change"]))
        windows = [(w["begin_ns"], w["end_ns"]) for w in meta["detail"]["windows"]]
        between = [f["number"] for f in failures if not any(b <= f["time_ns"] < e for b, e in windows)]
        check.expect(f"{what}: a failure between windows is not kept in detail (the page offers no map of it)",
                     [f["number"] for f in failures if f["number"] in between and f.get("in_detail", True)], [])
        if budget == 4000 and since is None:
            check.true(f"{what}: some failures kept in detail", kept >= 1)
            check.true(f"{what}: some failures between windows", len(between) >= 1)


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        llm_case(check, bin_dir, tmp)
        fragment_case(check, bin_dir, tmp)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
