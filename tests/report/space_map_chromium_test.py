#!/usr/bin/env python3
"""space_map_chromium_test.py — the HTML page's map over time (issue 16) in
headless Chromium, on real captures: `memledger-sim cb-clash` and
`memledger-sim fragment`, tracked with stacks, made into a page by
`memledger report --json --html`. For each:

1. A failure marker per kept allocation failure on the timeline, its title
   naming the verdict and the request; the map is drawn first when scrolled
   to, at its first space's peak, its blocks' bytes that pool's peak bytes.
2. A real click on the first failure's marker pins its instant and opens the
   map at that failure, in the space it was judged in.
3. The map's facts equal the report's for that failure: free bytes, holes
   and the largest free block (`--json`: the failure's `each` entry; and the
   text map, `--map DEVICE:L1@failure:1`, in its hole list); the sites of
   the live blocks with their bytes and buffers (`--json` holders); where
   the request would have gone (the CB region's end for cb_clash, the
   cheapest window for fragmented, as the text map says).
4. Hovering a block (a real mouse) names its site, address and since when;
   by tag, the blocks take their tags' colors; pinning an instant of L1
   moves the map to it.
5. Screenshots of the map (map-cb-clash.png, map-fragment.png) and of the
   charts with their markers, zoomed about failure 1 (markers-*.png) are
   kept in --artifacts; no console error, exception or dialog.

usage: space_map_chromium_test.py --chromium PATH --bin-dir DIR --artifacts DIR
"""
import argparse
import base64
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, CdpError, expect_no_page_errors  # noqa: E402
from checks import Checker, clean_env  # noqa: E402

WIDTH, HEIGHT = 1400, 1000
WAIT = """
window.__waitFor = (cond, ms) => new Promise((resolve, reject) => {
  const start = performance.now();
  const tick = () => {
    const value = cond();
    if (value) resolve(value);
    else if (performance.now() - start > ms) reject(new Error('timed out: ' + cond));
    else requestAnimationFrame(tick);
  };
  tick();
});
true
"""


def make_page(args, workload):
    """The workload's capture (tracked with stacks), its page, its report JSON and the text map at failure 1."""
    capture = os.path.join(args.artifacts, workload + ".mlcap")
    page = os.path.join(args.artifacts, workload + ".html")
    memledger = os.path.join(args.bin_dir, "memledger")
    env = clean_env(MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_REPORT="0", MEMLEDGER_OUTPUT=capture)
    subprocess.run([os.path.join(args.bin_dir, "memledger-sim"), workload], env=env, capture_output=True, check=True,
                   timeout=300)
    report = subprocess.run([memledger, "report", capture, "--json", "--html", page], capture_output=True, text=True,
                            timeout=300)
    if report.returncode != 0:
        sys.exit(f"memledger report --html failed:\n{report.stderr[-3000:]}")
    summary = json.loads(report.stdout)
    # Failure 1 is the first the ledger booked: the lowest seq (one process).
    first = min((one["seq"], group, one) for group in summary["allocation_failures"]["failures"]
                for one in group["each"])
    group, one = first[1], first[2]
    text_map = subprocess.run([memledger, "report", capture, "--map", f"{group['device']}:L1@failure:1"],
                              capture_output=True, text=True, timeout=300, check=True).stdout
    print(f"  {workload}: {page} ({os.path.getsize(page) / 1e3:.0f} kB); {memledger} report {capture} "
          f"--map {group['device']}:L1@failure:1:\n" + text_map)
    return page, summary, group, one, text_map


def holes_of(text_map):
    """The text map's holes, lowest first: [(start, size text)]."""
    line = next((l for l in text_map.splitlines() if "holes, lowest first:" in l), "")
    return [int(start, 16) for start in re.findall(r"\[(0x[0-9a-f]+), 0x[0-9a-f]+\)", line)]


def run(page, check, args, workload):
    path, summary, group, one, text_map = make_page(args, workload)
    js = page.evaluate
    page.call("Page.navigate", url="file://" + os.path.abspath(path))
    page.wait_event("Page.loadEventFired", timeout=60)
    js("memledgerTimeline.ready", 60)
    js(WAIT)
    kept = summary["allocation_failures"]["kept"]
    markers = js("[...document.querySelectorAll('.failure-marker')].map((m) => "
                 "({number: Number(m.dataset.number), title: m.title}))")
    check.expect(f"{workload}: a marker per kept failure", sorted(m["number"] for m in markers),
                 list(range(1, kept + 1)))
    peak = js("""(async () => {
        document.querySelector('.map-section').scrollIntoView();
        await __waitFor(() => document.getElementById('space-map').dataset.kind, 10000);
        const map = document.getElementById('space-map');
        const bytes = [...map.querySelectorAll('.map-legend tbody tr')]
          .reduce((sum, tr) => sum + Number(tr.dataset.bytes), 0);
        return {kind: map.dataset.kind, device: Number(map.dataset.device), type: map.dataset.type, bytes};
    })()""", 20)
    peaks = [p["bytes"] for p in summary["peaks"] if p["device"] == peak["device"] and p["type"] == peak["type"]]
    check.expect(f"{workload}: scrolled to, the map shows its first space at its peak",
                 (peak["kind"], peak["bytes"]), ("peak", max(peaks, default=0)))
    title = next((m["title"] for m in markers if m["number"] == 1), "")
    check.true(f"{workload}: the marker's title names the verdict and request ({title!r})",
               group["verdict"] in title and f"{group['size']:,} B of {group['type']}" in title)

    # A real click on failure 1's marker, scrolled into view, zoomed in
    # about it until no other marker covers it (failures come in storms).
    box = None
    for _ in range(30):
        box = js("""(() => {
            const m = document.querySelector('.failure-marker[data-number="1"]');
            m.scrollIntoView({block: 'center'});
            const r = m.getBoundingClientRect();
            const x = r.left + r.width / 2, y = r.top + r.height / 2;
            return {x, y, on_top: !m.hidden && document.elementFromPoint(x, y) === m};
        })()""")
        if box["on_top"]:
            break
        js("""(() => {
            const t = memledgerTimeline.model.meta.failures[0].time_ns;
            const {t0, t1} = memledgerTimeline.view();
            const half = (t1 - t0) / 4;
            memledgerTimeline.setView(t - half, t + half);
            return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        })()""")
    check.true(f"{workload}: failure 1's marker can be clicked ({box})", box["on_top"])
    for kind in ("mousePressed", "mouseReleased"):
        page.call("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)
    try:
        js("__waitFor(() => document.getElementById('space-map').dataset.failure === '1', 10000)", 20)
    except CdpError as error:
        check.true(f"{workload}: the click opened the map at failure 1: {error}", False)
        return
    state = js("""(() => {
        const map = document.getElementById('space-map');
        const figures = map.querySelector('.map-figures').dataset;
        const place = map.querySelector('.map-row.place');
        const within = map.querySelector('.map-row.within');
        return {
          device: Number(map.dataset.device), type: map.dataset.type,
          pinned: memledgerTimeline.pinned(),
          free: Number(figures.free), holes: Number(figures.holes), largest: Number(figures.largest),
          holeStarts: figures.holeStarts.split(' ').filter(Boolean).map(Number),
          place: place && {start: Number(place.dataset.start), end: Number(place.dataset.end)},
          withinBlocks: within ? Number(within.dataset.blocks) : null,
          sites: [...map.querySelectorAll('.map-legend tbody tr')].map((tr) => ({
            headline: tr.querySelector('.headline').textContent,
            bytes: Number(tr.dataset.bytes), buffers: Number(tr.dataset.buffers)})),
          blocks: map.querySelectorAll('.map-row.own .map-block').length,
          narrowest: Math.min(...[...map.querySelectorAll('.map-block')].map((b) => b.getBoundingClientRect().width)),
        };
    })()""")
    check.expect(f"{workload}: the map is of the failing space", (state["device"], state["type"]),
                 (group["device"], group["space_type"]))
    check.true(f"{workload}: the failure's instant is pinned ({state['pinned']})",
               state["pinned"] is not None and state["pinned"]["device"] == group["device"])
    check.expect(f"{workload}: free bytes, holes, largest free block as --json says at that failure",
                 (state["free"], state["holes"], state["largest"]),
                 (one["free_bytes"], one["holes"], one["largest_free_block_bytes"]))
    check.expect(f"{workload}: the holes' starts as --map lists them", state["holeStarts"][:8], holes_of(text_map))
    holders = [(h["headline"], h["bytes"], h["buffers"]) for h in group["holders"]]
    check.expect(f"{workload}: the blocks' sites, bytes and buffers are the failure's holders",
                 [(s["headline"], s["bytes"], s["buffers"]) for s in state["sites"]][:len(holders)], holders)
    check.true(f"{workload}: no block is too thin to see (narrowest {state['narrowest']:.1f} px)",
               state["narrowest"] >= 2)
    if group["verdict"] == "cb_clash":
        check.expect("cb_clash: the request's place is the CB region up to its end",
                     state["place"], {"start": int(re.search(r"\[(0x[0-9a-f]+),", text_map).group(1), 16),
                                      "end": group["region_end"]})
        check.true("cb_clash: the circular buffers' row is there", state["withinBlocks"] is not None)
    else:
        check.expect("fragmented: the request's place is the cheapest window",
                     state["place"], {"start": group["window_start"], "end": group["window_start"] + group["extent"]})
    hover_block(page, check, workload)
    screenshot(page, ".map-section", os.path.join(args.artifacts, f"map-{workload}.png"))
    screenshot(page, ".timeline", os.path.join(args.artifacts, f"markers-{workload}.png"))
    by_tag_and_pinned(page, check, workload, group)


def hover_block(page, check, workload):
    """A real mouse over the largest block: the hover line names its site, size, address and since when."""
    block = page.evaluate("""(() => {
        const blocks = [...document.querySelectorAll('#space-map .map-row.own .map-block')];
        const b = blocks.reduce((best, x) => (Number(x.dataset.bytes) > Number(best.dataset.bytes) ? x : best));
        b.scrollIntoView({block: 'center'});
        const r = b.getBoundingClientRect();
        return {x: r.left + r.width / 2, y: r.top + r.height / 2, site: Number(b.dataset.site),
                start: Number(b.dataset.start), headline: memledgerTimeline.model.siteLabel(Number(b.dataset.site))};
    })()""")
    page.call("Input.dispatchMouseEvent", type="mouseMoved", x=block["x"], y=block["y"])
    text = page.evaluate("__waitFor(() => { const t = document.querySelector('#space-map .map-hover').textContent;"
                         " return t.includes(' at 0x') && t; }, 5000)", 10)
    check.true(f"{workload}: hovering a block names its site, address and since when ({text!r})",
               block["headline"] in text and hex(block["start"]) in text and "live since" in text)


def by_tag_and_pinned(page, check, workload, group):
    """By tag, the blocks take their tags' colors; a pinned instant moves the map to it."""
    colors = "[...new Set([...document.querySelectorAll('#space-map .map-row.own .map-block')]" \
             ".map((b) => b.style.background))].sort()"
    page.evaluate("document.getElementById('stack-tag').click()")
    tags = page.evaluate("[...new Set(memledgerTimeline.model.meta.series.map((s) => s.tag))].map((t) => "
                         "layerColor('tag', t))")
    got = page.evaluate(colors)
    check.true(f"{workload}: by tag, every block has its tag's color ({got} of {tags})",
               got and set(got) <= {hex_rgb(t) for t in tags})
    page.evaluate("document.getElementById('stack-type').click()")
    time_ns = page.evaluate("memledgerTimeline.model.end / 2")
    page.evaluate(f"memledgerTimeline.pin({group['device']}, 'L1', {time_ns})")
    # Drawn when in view: the pin showed the hover panel, the map may be scrolled away.
    state = page.evaluate("""(async () => {
        document.querySelector('.map-section').scrollIntoView();
        const d = document.getElementById('space-map').dataset;
        await __waitFor(() => d.kind === 'instant', 5000).catch(() => null);
        return {kind: d.kind, type: d.type, device: Number(d.device)};
    })()""", 10)
    check.expect(f"{workload}: a pinned instant of L1 moves the map to it", state,
                 {"kind": "instant", "type": "L1", "device": group["device"]})


def hex_rgb(color):
    """'#4e79a7' as the style property reads it back: 'rgb(78, 121, 167)'."""
    n = int(color[1:], 16)
    return f"rgb({n >> 16}, {(n >> 8) & 255}, {n & 255})"


def screenshot(page, selector, path):
    rect = page.evaluate(f"""(() => {{
        const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
        return {{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}};
    }})()""")
    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True, clip={**rect, "scale": 1})
    with open(path, "wb") as f:
        f.write(base64.b64decode(data["data"]))
    print(f"  screenshot: {path}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--artifacts", required=True)
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    check = Checker()
    with Browser(args.chromium, WIDTH, HEIGHT) as page:
        for workload in ("cb-clash", "fragment"):
            run(page, check, args, workload)
    expect_no_page_errors(page, check)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
