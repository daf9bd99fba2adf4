#!/usr/bin/env python3
"""chromium_test.py — the HTML timeline (memledger report --html) in headless
Chromium, on a synthetic timeline made by write_synthetic_html (two devices,
DRAM/L1/CB/KERNEL, tags, ~300 sites with stacks, a mark per step, a short
spike, leaks, anomalies, hostile names, a cut capture's problem):

1. The page draws every chart: the page's own performance.now() when ready
   (from navigation start) is printed with its stages, for information only
   (how fast is bench/html_render_bench.cc's question); no console error,
   uncaught exception, log error or dialog, ever.
2. What is drawn is right: a chart per device × memory type (pool), in
   device then type order, with colored pixels; at full zoom out each chart's
   top reaches its pool's highest live bytes exactly (its own y axis; the
   min/max envelope loses no peak), as the total and by tag (a chart's tags
   are its pool's only: never two types summed); one peak label per chart,
   inside its plot, no two overlapping; title, problem banner, summary and
   findings tables (peaks, top sites by bytes and count, growth, leaks,
   anomalies) as written; hostile names stayed text.
3. Interaction through real input events: hovering lists the sites live at
   that instant; a click pins it and shows their stacks, a headline and a
   line per frame (no line wraps); the flame graph then shows what was live
   in that pool then (its bytes the pool's live bytes); wheel and drag zoom
   change the range and draw again, down to exact steps; the y axis fits
   the view on request; shift+wheel pans.
4. The flame graph at a peak: its bytes are the pool's highest live bytes,
   a box per site that was live; a click on a box makes it the whole width
   and lists the sites ending there with their stacks.
5. An empty timeline (no buffer events) is a page that says so; without
   Uint8Array.fromBase64 the page reads its data through a data: URL; a
   damaged page says it could not be shown.
6. With --bin-dir, a real capture: `memledger-sim llm` tracked with stacks for
   --capture-steps decode steps (10M events in the release build), made into
   a page by `memledger report --html`: drawn, a chart per device × type
   whose top is that pool's peak in `memledger report --json`, a leak row
   per leak site, its top sites and growth as the JSON lists them.
7. With --bin-dir, a burst: a few hundred buffer events drained at once (the sim's leaky without host work): each
   a time of its own in its capture's CSV, and each chart's top is the pool's highest live bytes — the report's
   peak — exactly (before issue 14 they shared one time and the chart was flat at 0 B).
Screenshots are kept in --artifacts (timeline.png, timeline-pinned.png,
flame-instant.png, flame-peak.png, timeline-zoomed.png, llm.png, burst.png);
their paths are printed.

usage: chromium_test.py --writer BIN --chromium PATH --artifacts DIR --changes N
                        [--bin-dir DIR --capture-steps N]
"""
import argparse
import base64
import csv
import io
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, CdpError, expect_no_page_errors  # noqa: E402
from checks import Checker, clean_env  # noqa: E402

WIDTH, HEIGHT = 1600, 1000
TYPE_ORDER = ["DRAM", "L1", "L1_SMALL", "TRACE", "SYSTEM_MEMORY", "CB", "KERNEL"]  # model.js
PLOT_MARGINS = 76 + 14  # chart.js MARGIN.left + MARGIN.right, CSS pixels
PROBLEM = "cut at byte 123456789: the last 2 chunks (131072 records) after it are missing"
HOSTILE_TAG = "</script><img src=x onerror=\"alert(1)\">"

# In the page: wait for a condition (polled each frame); the share of each
# chart's pixels that are colored (layers, not grey text or white).
HELPERS = """
window.__waitFor = (cond, ms) => new Promise((resolve, reject) => {
  const start = performance.now();
  const tick = () => {
    let value;
    try { value = cond(); } catch (e) { reject(e); return; }
    if (value) resolve(value);
    else if (performance.now() - start > ms) reject(new Error('timed out: ' + cond));
    else requestAnimationFrame(tick);
  };
  tick();
});
// Also counted: the untagged layer's grey (chart.js UNTAGGED_COLOR) and its envelope tint.
window.__colored = () => [...document.querySelectorAll('#charts canvas.base')].map((canvas) => {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let colored = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    const grey = r === g && g === b && (r === 160 || r === 208);
    if (data[i + 3] > 0 && (grey || Math.max(r, g, b) - Math.min(r, g, b) > 40)) colored++;
  }
  return colored / (canvas.width * canvas.height);
});
true
"""


def make_page(args, name, what):
    page = os.path.join(args.artifacts, name + ".html")
    expect = os.path.join(args.artifacts, name + "-expect.json")
    out = subprocess.run([args.writer] + what + ["--out", page, "--expect", expect, "--problem", PROBLEM],
                         capture_output=True, text=True, timeout=600)
    print(out.stdout.strip())
    if out.returncode != 0:
        sys.exit(f"write_synthetic_html failed:\n{out.stderr}")
    with open(expect) as f:
        return page, json.load(f)


class TimelineTest:
    def __init__(self, page, check, expect, artifacts):
        self.page = page
        self.check = check
        self.expect = expect
        self.artifacts = artifacts

    def js(self, expression, timeout=60):
        return self.page.evaluate(expression, timeout)

    def text(self, selector):
        return self.js(f"document.querySelector({json.dumps(selector)}).textContent")

    def all_drawn(self, share):
        colored = self.js("__colored()")
        return bool(colored) and all(c > share for c in colored)

    def drawn_where_live(self, share):
        """Zoomed in, a pool may hold nothing in view (blank, rightly): each chart with live bytes in view has
        colored pixels, and some chart more than `share`."""
        colored, tops = self.js("__colored()"), self.js("memledgerTimeline.drawnMax()")
        return bool(colored) and max(colored) > share and all(c > 0 for c, top in zip(colored, tops) if top > 0)

    def mouse(self, kind, x, y, **extra):
        self.page.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def screenshot(self, name, full=False, selector=None):
        path = os.path.join(self.artifacts, name)
        params = {"format": "png"}
        if selector:
            box = self.js(f"""(() => {{
                const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();
                return {{x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height}};
            }})()""")
            params.update(captureBeyondViewport=True, clip={**box, "scale": 1})
        elif full:
            width, height = self.js("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            clip = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
            params.update(captureBeyondViewport=True, clip=clip)
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.page.call("Page.captureScreenshot", **params)["data"]))
        print(f"  screenshot: {path}")

    def redraw(self, action, what):
        """Runs `action`, waits for the charts' next draw, returns the view."""
        before = self.js("memledgerTimeline.draws()")
        action()
        try:
            self.js(f"__waitFor(() => memledgerTimeline.draws() > {before}, 10000)")
        except CdpError as error:
            self.check.true(f"{what} draws again: {error}", False)
        return self.js("memledgerTimeline.view()")

    def load(self, path):
        started = time.monotonic()
        self.page.call("Page.navigate", url="file://" + os.path.abspath(path))
        self.page.wait_event("Page.loadEventFired", timeout=120)
        ready_ms = self.js("memledgerTimeline.ready", timeout=120)
        wall_ms = (time.monotonic() - started) * 1000
        stages = self.js("performance.getEntriesByType('mark').filter(m => m.name.startsWith('memledger:'))"
                         ".map(m => [m.name.slice(10), Math.round(m.startTime)])")
        print(f"  render: {ready_ms:.0f} ms from navigation start to every chart drawn "
              f"(page's performance.now(); {wall_ms:.0f} ms seen from here); stages at ms: "
              + ", ".join(f"{name} {ms}" for name, ms in stages))
        self.js(HELPERS)

    def drawing(self):
        check, expect = self.check, self.expect
        check.expect("data-ready", self.js("document.documentElement.dataset.ready"), "true")
        check.expect("a chart per device × type", self.js("document.querySelectorAll('#charts canvas.base').length"),
                     len(expect["pools"]))
        charts = self.js("memledgerTimeline.charts()")
        check.expect("charts in device, then type order", [(c["device"], c["type"]) for c in charts],
                     [(p["device"], p["type"]) for p in self.pools()])
        check.true(f"every chart drawn (colored share {self.js('__colored()')})", self.all_drawn(0.03))
        check.expect("overview reaches each pool's highest live bytes (its own y axis)",
                     self.js("memledgerTimeline.drawnMax()"), self.max_live())
        check.expect("one layer per chart: its type", [c["keys"] for c in charts], [[c["type"]] for c in charts])
        self.peak_labels(charts)
        check.expect("title", self.text("#title"), expect["title"])
        check.true("the document title names the capture", self.js("document.title").startswith(expect["title"]))
        banner = self.js("""(() => {
            const p = document.querySelector('header .problem:not([hidden])');
            const charts = document.getElementById('charts').getBoundingClientRect();
            const above = p && p.getBoundingClientRect().top < charts.top;
            return p && {text: p.textContent, height: p.offsetHeight, above};
        })()""")
        check.true(f"the problem is shown above the charts ({banner})",
                   banner and PROBLEM in banner["text"] and banner["height"] > 0 and banner["above"])
        check.true("the summary counts the changes", f"{expect['changes']:,} buffer changes" in self.text("#summary"))
        rows = "document.querySelectorAll('{}').length"
        check.expect("peak rows", self.js(rows.format("#peaks > div > table > tbody > tr")), expect["peaks"])
        check.expect("leak rows", self.js(rows.format("#leaks tbody tr")), expect["leaks"])
        check.expect("anomaly rows", self.js(rows.format("#anomalies tbody tr")), 3)
        check.expect("top sites by bytes rows", self.js(rows.format("#top-bytes tbody tr")), expect["top_by_bytes"])
        check.expect("top sites by count rows", self.js(rows.format("#top-count tbody tr")), expect["top_by_count"])
        check.expect("growth rows", self.js(rows.format("#growth tbody tr")), expect["growth"])
        check.true("top sites and growth name their sites by headline",
                   self.js("[...document.querySelectorAll('#top-bytes tbody tr, #growth tbody tr')]"
                           ".every((tr) => tr.querySelector('details.site summary').textContent.length > 0)"))
        check.true("an anomaly row says what its first anomaly was",
                   "circular buffer 3, [0x40, 0x80) 64 B on device 0 CB: freed twice" in self.text("#anomalies"))
        check.expect("hostile names made no elements", self.js(rows.format("img, b")), 0)
        check.expect("scripts", self.js("document.scripts.length"), 3)
        self.screenshot("timeline.png", full=True)

    def pools(self):
        """The expected pools in the page's order: by device, then memory type."""
        rank = lambda t: (TYPE_ORDER.index(t) if t in TYPE_ORDER else len(TYPE_ORDER), t)
        return sorted(self.expect["pools"], key=lambda p: (p["device"], rank(p["type"])))

    def max_live(self):
        return [p["max_live"] for p in self.pools()]

    def peak_labels(self, charts):
        """One peak label per chart, inside its plot, none overlapping another (at full zoom out every peak is
        in view)."""
        check = self.check
        labels = [c["peakLabel"] for c in charts]
        check.true(f"a peak label on every chart ({labels})", all(labels))
        if not all(labels):
            return
        inside = lambda r, a: (r["left"] >= a["left"] - 0.5 and r["top"] >= a["top"] - 0.5 and
                               r["left"] + r["width"] <= a["left"] + a["width"] + 0.5 and
                               r["top"] + r["height"] <= a["top"] + a["height"] + 0.5)
        check.true("each peak label inside its chart's plot", all(inside(c["peakLabel"], c["area"]) for c in charts),
                   charts)
        meets = lambda a, b: (a["left"] < b["left"] + b["width"] and b["left"] < a["left"] + a["width"] and
                              a["top"] < b["top"] + b["height"] and b["top"] < a["top"] + a["height"])
        overlaps = [(i, j) for i in range(len(labels)) for j in range(i + 1, len(labels))
                    if meets(labels[i], labels[j])]
        check.expect("peak labels that overlap", overlaps, [])

    def busy_x(self):
        """Where, on the charts, an instant in the thick of the decode steps is."""
        return self.js(f"memledgerTimeline.clientX({self.expect['busy_ns']})")

    def hover_and_pin(self, y):
        check = self.check
        x = self.busy_x()
        hovered = time.monotonic()
        self.mouse("mouseMoved", x, y)
        try:
            sites = self.js("__waitFor(() => document.querySelectorAll('#hover table.sites tbody tr').length, 5000)")
            print(f"  hover: sites listed {(time.monotonic() - hovered) * 1000:.0f} ms after the mouse moved")
            live = self.js("document.getElementById('hover').dataset.sites")
            check.true(f"hover lists the sites live then ({sites} rows of {live} sites)", sites > 0)
            check.true("hover shows the time", self.text("#hover h3").startswith("At "))
            check.true("hover lists live bytes per series",
                       self.js("document.querySelectorAll('#hover table.series tbody tr').length") > 0)
        except CdpError as error:
            check.true(f"hover lists the sites live then: {error}", False)
        self.mouse("mousePressed", x, y, button="left", buttons=1, clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", buttons=0, clickCount=1)
        try:
            frames = self.js("__waitFor(() => document.querySelector('#hover.pinned') &&"
                             " document.querySelectorAll('#hover ol.stack li').length, 5000)")
            check.true(f"a click pins the instant and shows stacks ({frames} frames open)", frames > 0)
            self.pinned_stacks()
            self.flame_at_pinned()
        except CdpError as error:
            check.true(f"a click pins the instant and shows stacks: {error}", False)
        self.screenshot("timeline-pinned.png")
        self.screenshot("flame-instant.png", selector=".flame-section")

    def pinned_stacks(self):
        """Each open stack: its site's headline above, then a line per frame as the report wrote them."""
        check = self.check
        stacks = self.js("""[...document.querySelectorAll('#hover details.site[open]')].map((d) => {
            const m = memledgerTimeline.model, site = Number(d.dataset.site);
            const lines = [...d.querySelectorAll('ol.stack li')];
            const height = lines.length ? parseFloat(getComputedStyle(lines[0]).lineHeight) : 0;
            return {headline: d.querySelector('summary .headline').textContent, want_headline: m.siteLabel(site),
                    lines: lines.map((li) => li.textContent), want_lines: m.frames(site),
                    wrapped: lines.filter((li) => li.getBoundingClientRect().height > height * 1.5).length};
        })""")
        check.true(f"pinned: stacks open ({len(stacks)})", len(stacks) > 0)
        check.expect("pinned: each stack under its site's headline", [s["headline"] for s in stacks],
                     [s["want_headline"] for s in stacks])
        check.expect("pinned: each stack's lines are the report's, a DOM line each", [s["lines"] for s in stacks],
                     [s["want_lines"] for s in stacks])
        check.expect("pinned: stack lines that wrap", [s["wrapped"] for s in stacks], [0] * len(stacks))

    def flame_at_pinned(self):
        """After a pin, the flame graph shows what was live in that pool then: the pool's live bytes."""
        check = self.check
        state = self.js("""(() => {
            const t = memledgerTimeline, f = t.flame.state, m = t.model;
            const live = m.seriesBefore(m.indexAfter(f.time));
            let total = 0;
            for (let s = 0; s < live.length; s++) if (m.poolOf[s] === f.pool) total += live[s];
            return {kind: f.kind, bytes: f.bytes, total, boxes: Number(document.getElementById('flame').dataset.boxes)};
        })()""")
        check.true(f"pinned: the flame graph shows the pinned instant ({state})",
                   state["kind"] == "instant" and state["boxes"] > 1)
        check.expect("pinned: the flame graph's bytes are the pool's live bytes then", state["bytes"], state["total"])

    def flame_at_peak(self):
        """A peak's flame graph: the pool's highest live bytes, a site box per site live then; clicking zooms."""
        check = self.check
        pool = self.pools()[0]
        self.js(f"""[...document.querySelectorAll('#flame .flame-choices button')]
                   .find((b) => b.textContent === {json.dumps(pool['type'] + ' · device ' + str(pool['device']))})
                   .click()""")
        state = self.js("""(() => {
            const f = memledgerTimeline.flame.state;
            const peak = memledgerTimeline.model.meta.peaks.find((p) => p.time_ns === f.time && p.bytes === f.bytes);
            const bySite = new Map();
            for (const s of peak ? peak.sites : []) bySite.set(s.site, (bySite.get(s.site) ?? 0) + s.bytes);
            const wide = [...bySite].filter(([, bytes]) => bytes >= f.bytes / 100).map(([site]) => site);
            const drawn = new Set([...document.querySelectorAll('#flame .flame-box.site')]
              .flatMap((b) => b.dataset.siteIds.split(' ').map(Number)));
            return {kind: f.kind, bytes: f.bytes, missing: wide.filter((s) => !drawn.has(s)),
                    strays: [...drawn].filter((s) => !bySite.has(s)), wide: wide.length};
        })()""")
        check.expect("flame at the peak: its bytes are the pool's highest live bytes", [state["kind"], state["bytes"]],
                     ["peak", pool["max_live"]])
        check.true(f"flame at the peak: {state['wide']} sites of 1 % or more live then", state["wide"] > 0)
        check.expect("flame at the peak: sites of 1 % or more without their box, boxes of sites not live",
                     [state["missing"], state["strays"]], [[], []])
        zoomed = self.js("""(() => {
            const graph = document.querySelector('#flame .flame-graph');
            const box = [...graph.querySelectorAll('.flame-box.site')]
              .sort((a, b) => Number(b.dataset.depth) - Number(a.dataset.depth))[0];
            const depth = box.dataset.depth, bytes = box.dataset.bytes;
            box.click();
            const now = [...graph.querySelectorAll('.flame-box')]
              .find((b) => b.dataset.depth === depth && b.dataset.bytes === bytes && !b.classList.contains('above'));
            return {width: now.getBoundingClientRect().width, graph: graph.clientWidth,
                    listed: document.querySelectorAll('#flame .flame-sites details.site[open] ol.stack li').length};
        })()""")
        check.true(f"flame: a click on a site's box makes it the whole width ({zoomed})",
                   abs(zoomed["width"] - zoomed["graph"]) <= 2)
        check.true(f"flame: and lists its sites with their stacks ({zoomed['listed']} lines)", zoomed["listed"] > 0)
        self.js(f"""[...document.querySelectorAll('#flame .flame-choices button')]
                   .find((b) => b.textContent === {json.dumps(pool['type'] + ' · device ' + str(pool['device']))})
                   .click()""")
        self.screenshot("flame-peak.png", selector=".flame-section")

    def zoom_and_pan(self, y, plot_width):
        check = self.check
        full = self.js("memledgerTimeline.view()")
        wheel = lambda dy, **extra: lambda: self.mouse("mouseWheel", self.busy_x(), y, deltaX=0, deltaY=dy, **extra)
        view = self.redraw(wheel(-600), "wheel zoom")
        share = (view["t1"] - view["t0"]) / (full["t1"] - full["t0"])
        check.true(f"the wheel zooms in ({share:.3f} of the whole)", 0 < share < 0.6)
        print(f"  wheel zoom redraw: {self.js('memledgerTimeline.lastDrawMs()'):.0f} ms")

        x = self.busy_x()
        x1, x2 = x - 200, x + 100
        before = view

        def drag():
            self.mouse("mousePressed", x1, y, button="left", buttons=1, clickCount=1)
            self.mouse("mouseMoved", (x1 + x2) / 2, y, button="left", buttons=1)
            self.mouse("mouseMoved", x2, y, button="left", buttons=1)
            self.mouse("mouseReleased", x2, y, button="left", buttons=0, clickCount=1)
        view = self.redraw(drag, "drag zoom")
        ratio = (view["t1"] - view["t0"]) / (before["t1"] - before["t0"])
        want = (x2 - x1) / (plot_width - PLOT_MARGINS)
        check.true(f"a drag zooms to the selection ({ratio:.3f} of the range, want ~{want:.3f})",
                   before["t0"] <= view["t0"] < view["t1"] <= before["t1"] and abs(ratio - want) < 0.02)
        check.true("still drawn after zooming", self.drawn_where_live(0.01))

        for _ in range(20):  # down to exact steps
            if "exact steps" in self.text("#view-range"):
                break
            self.redraw(wheel(-600), "wheel zoom")
        in_view = self.text("#view-range")
        changes = int(in_view.split(" changes in view")[0].split()[-1].replace(",", ""))
        check.true(f"zoomed in far enough the chart shows exact steps ({in_view})",
                   "exact steps" in in_view and changes > 0)
        check.true("exact steps are drawn", self.drawn_where_live(0.01))
        self.redraw(lambda: self.js("document.getElementById('y-fit').click()"), "y axis fitted")
        check.true("a fitted y axis is drawn", self.drawn_where_live(0.01))
        self.screenshot("timeline-zoomed.png")

        before = self.js("memledgerTimeline.view()")
        view = self.redraw(wheel(300, modifiers=8), "shift+wheel pan")
        check.true(f"shift+wheel pans ({before} -> {view})",
                   view["t0"] > before["t0"] and abs((view["t1"] - view["t0"]) - (before["t1"] - before["t0"])) < 1)

    def stack_by_tag(self):
        check = self.check
        self.redraw(lambda: self.js("document.getElementById('reset-zoom').click()"), "reset")
        self.redraw(lambda: self.js("document.getElementById('y-zero').click()"), "y axis from 0")
        self.redraw(lambda: self.js("document.getElementById('stack-tag').click()"), "stack by tag")
        check.expect("overview reaches each pool's highest live bytes (by tag: one type's tags summed)",
                     self.js("memledgerTimeline.drawnMax()"), self.max_live())
        charts = self.js("memledgerTimeline.charts()")
        check.expect("each chart's tags are its pool's own", [sorted(c["keys"]) for c in charts],
                     [sorted(p["tags"]) for p in self.pools()])
        legend = self.js("[...document.querySelectorAll('.legend button')].map(b => b.textContent)")
        check.true(f"the tag legend names the tags ({legend})",
                   {"weights", "kv_cache", "activations", "(untagged)", HOSTILE_TAG} <= set(legend))
        check.true("stacked by tag is drawn", self.all_drawn(0.03))
        self.peak_labels(charts)

    def without_from_base64(self, path):
        """Browsers without Uint8Array.fromBase64 (before Chrome 140) read the changes through a data: URL."""
        script = self.page.call("Page.addScriptToEvaluateOnNewDocument", source="delete Uint8Array.fromBase64;")
        self.page.call("Page.navigate", url="file://" + os.path.abspath(path))
        self.page.wait_event("Page.loadEventFired", timeout=60)
        try:
            self.js("memledgerTimeline.ready")
            check = self.check
            check.expect("without fromBase64 it is not there", self.js("typeof Uint8Array.fromBase64"), "undefined")
            self.js(HELPERS)
            check.true("without fromBase64 every chart is drawn", self.all_drawn(0.03))
            check.expect("without fromBase64 the same charts", self.js("memledgerTimeline.drawnMax()"), self.max_live())
        except CdpError as error:
            self.check.true(f"without fromBase64 the page gets ready: {error}", False)
        self.page.call("Page.removeScriptToEvaluateOnNewDocument", identifier=script["identifier"])

    def damaged(self, path):
        """A page whose changes were damaged says so, on the page and the console."""
        with open(path, "rb") as f:
            page = f.read()
        start = page.index(b'id="ml-changes">') + len(b'id="ml-changes">')
        middle = (start + page.index(b"</script>", start)) // 2
        broken = path.replace(".html", "-damaged.html")
        with open(broken, "wb") as f:
            f.write(page[:middle] + b"AAAAAAAAAAAAAAAA" + page[middle + 16:])
        seen = len(self.page.problems)
        self.page.call("Page.navigate", url="file://" + os.path.abspath(broken))
        self.page.wait_event("Page.loadEventFired", timeout=60)
        try:
            self.js("memledgerTimeline.ready")
            self.check.true("a damaged page fails to get ready", False)
        except CdpError as error:
            print(f"  damaged page: {str(error)[:160]}")
        box = self.js("(({hidden, textContent}) => ({hidden, textContent}))(document.getElementById('load-error'))")
        self.check.true(f"a damaged page says it could not be shown ({box})",
                        not box["hidden"] and "could not be shown" in box["textContent"])
        said = self.page.problems[seen:]
        self.check.true(f"a damaged page says so on the console ({said})",
                        any("memledger timeline:" in problem for problem in said))
        del self.page.problems[seen:]  # expected

    def empty(self, path):
        self.page.call("Page.navigate", url="file://" + os.path.abspath(path))
        self.page.wait_event("Page.loadEventFired", timeout=60)
        try:
            self.js("memledgerTimeline.ready")
            self.check.true("an empty timeline says so", "No buffer changes" in self.text("#charts"))
            self.check.true("an empty timeline shows its problem", PROBLEM in self.text("header .problem"))
            self.check.true("an empty timeline has no peaks", "No peaks" in self.text("#peaks"))
        except CdpError as error:
            self.check.true(f"an empty timeline is a page: {error}", False)


def real_capture_page(args):
    """A tracked llm run's capture made into a page by `memledger report --html`; and its report JSON."""
    capture = os.path.join(args.artifacts, "llm.mlcap")
    page = os.path.join(args.artifacts, "llm.html")
    env = clean_env(MEMLEDGER_STACKS="1")
    memledger = os.path.join(args.bin_dir, "memledger")
    run = subprocess.run([memledger, "run", "-o", capture, "--", os.path.join(args.bin_dir, "memledger-sim"), "llm",
                          "--iterations", str(args.capture_steps), "--host-work", "0", "--leaks", "30"],
                         env=env, capture_output=True, text=True, timeout=900)
    if run.returncode != 0:
        sys.exit(f"the tracked llm run failed:\n{run.stderr[-3000:]}")
    report = subprocess.run([memledger, "report", capture, "--json", "--html", page], capture_output=True, text=True,
                            timeout=900)
    if report.returncode != 0:
        sys.exit(f"memledger report --html failed:\n{report.stderr[-3000:]}")
    summary = json.loads(report.stdout)
    # The same capture cut in half: its process is running when it ends.
    cut = os.path.join(args.artifacts, "llm-cut.mlcap")
    with open(capture, "rb") as whole, open(cut, "wb") as half:
        half.write(whole.read()[:os.path.getsize(capture) // 2])
    cut_page = os.path.join(args.artifacts, "llm-cut.html")
    cut_report = subprocess.run([memledger, "report", cut, "--json", "--html", cut_page], capture_output=True,
                                text=True, timeout=900)
    if cut_report.returncode != 0:
        sys.exit(f"memledger report --html of a cut capture failed:\n{cut_report.stderr[-3000:]}")
    # Its middle third (--since, --until): the page shows that window only.
    third = summary["window"]["duration_s"] / 3
    window_page = os.path.join(args.artifacts, "llm-window.html")
    window_report = subprocess.run([memledger, "report", capture, "--json", "--since", f"{third:.9f}", "--until",
                                    f"{2 * third:.9f}", "--html", window_page], capture_output=True, text=True,
                                   timeout=900)
    if window_report.returncode != 0:
        sys.exit(f"memledger report --since --until --html failed:\n{window_report.stderr[-3000:]}")
    os.remove(capture)
    os.remove(cut)
    print(f"  real capture: {summary['events']:,} events -> {page} ({os.path.getsize(page) / 1e6:.1f} MB)")
    return page, summary, json.loads(cut_report.stdout), (window_page, json.loads(window_report.stdout))


def window_of_a_capture(page, check, args, path, summary):
    """`report --since A --until B --html`: the page shows [A, B] (reset
    zoom included), and each chart's top there is the window's own peak —
    none made up at the window's edge from what was live before it."""
    test = TimelineTest(page, check, {}, args.artifacts)
    try:
        test.load(path)
    except CdpError as error:
        check.true(f"the window's page gets ready: {error}", False)
        return
    since_ns = round(summary["window"]["since_s"] * 1e9)
    view = test.js("memledgerTimeline.view()")
    check.true("window: the page starts at --since", abs(view["t0"] - since_ns) <= 1, (view, since_ns))
    check.true("window: and ends at --until", abs(view["t1"] - summary["window"]["until_s"] * 1e9) <= 1e6,
               (view, summary["window"]))
    middle = (view["t0"] + view["t1"]) / 2
    test.redraw(lambda: test.js(f"memledgerTimeline.setView({middle}, {middle + 1e6}), 0"), "a zoom into the window")
    view = test.redraw(lambda: test.js("memledgerTimeline.setView(0, 1e18), 0"), "the widest view")
    check.true("window: no view reaches before --since", view["t0"] >= since_ns - 1, (view, since_ns))
    peaks = {}
    for p in summary["peaks"]:
        peaks[(p["device"], p["type"])] = max(peaks.get((p["device"], p["type"]), 0), p["bytes"])
    charts = test.js("memledgerTimeline.charts()")
    check.expect("window: each chart's top is its pool's peak in the window",
                 [c["drawnMax"] for c in charts], [peaks.get((c["device"], c["type"])) for c in charts])
    test.screenshot("llm-window.png", full=True)


def bounded_page(test, check, detail):
    """A bounded page says so, and where its detail ends: at a zoom finer
    than its buckets, between windows, a note with the command that makes a
    page of every change in view; none inside a window, or at full view."""
    said = test.text("#summary")
    check.true("bounded: the summary says so", "a bounded page" in said and f"of {detail['changes_total']:,}" in said,
               said)
    note_shown = "!document.getElementById('detail-note').hidden"
    check.true("bounded: no note at full view", not test.js(note_shown))
    spans = test.js("memledgerTimeline.model.coarseSpans(memledgerTimeline.model.start, memledgerTimeline.model.end)")
    check.true("bounded: spans between its windows", len(spans) > 0, detail["windows"])
    if not spans:
        return
    begin, end = max(spans, key=lambda s: s[1] - s[0])
    narrow = 300 * detail["bucket_ns"]
    test.redraw(lambda: test.js(f"memledgerTimeline.setView({begin}, {min(end, begin + narrow)})"), "a coarse span")
    note = test.text("#detail-note")
    check.true("bounded: finer than a bucket between windows, a note with the command for every change there",
               test.js(note_shown) and "memledger report llm.mlcap --since " in note and "--until " in note, note)
    test.screenshot("llm-bounded-coarse.png")
    window = max(detail["windows"], key=lambda w: w["end_ns"] - w["begin_ns"])
    check.true("bounded: a window that lasts", window["end_ns"] - window["begin_ns"] > 1000, window)
    inside = (window["begin_ns"] + 1, min(window["end_ns"] - 1, window["begin_ns"] + narrow))
    test.redraw(lambda: test.js(f"memledgerTimeline.setView({inside[0]}, {inside[1]})"), "inside a window")
    check.true("bounded: inside a window, no note", not test.js(note_shown), test.text("#detail-note"))
    test.redraw(lambda: test.js("memledgerTimeline.setView(memledgerTimeline.model.start, memledgerTimeline.model.end)"),
                "the whole view")


def real_capture(page, check, args):
    path, summary, cut_summary, (window_path, window_summary) = real_capture_page(args)
    window_of_a_capture(page, check, args, window_path, window_summary)
    test = TimelineTest(page, check, {}, args.artifacts)
    try:
        test.load(path)
    except CdpError as error:
        check.true(f"the real capture's page gets ready: {error}", False)
        return
    peaks = {}
    for p in summary["peaks"]:
        peaks[(p["device"], p["type"])] = max(peaks.get((p["device"], p["type"]), 0), p["bytes"])
    charts = test.js("memledgerTimeline.charts()")
    check.expect("real capture: a chart per device × type",
                 sorted((c["device"], c["type"]) for c in charts), sorted(peaks))
    check.expect("real capture: each chart's top is its pool's peak",
                 [c["drawnMax"] for c in charts], [peaks.get((c["device"], c["type"])) for c in charts])
    # A pool of brief buffers (SYSTEM_MEMORY here) is a few spikes: colored, if little.
    check.true(f"real capture: every chart drawn ({test.js('__colored()')})", test.all_drawn(0.001))
    test.peak_labels(charts)
    headlines = test.js("memledgerTimeline.model.meta.headlines")
    check.expect("real capture: a site per stack identity (no two sites share a headline)",
                 len(set(headlines)), len(headlines))
    # The JSON's top sites are stack ids; the page's are merged by identity (as the text report's): each of the
    # JSON's is on the page, at least as large.
    shown = test.js("memledgerTimeline.model.meta.top_by_bytes.map((t) =>"
                    " [t.device, t.type, t.tag, memledgerTimeline.model.siteLabel(t.site), t.bytes])")
    page_top = {tuple(t[:4]): t[4] for t in shown}
    missing = [t for t in summary["top_sites"]["by_bytes"]
               if page_top.get((t["device"], t["type"], t["tag"], t["headline"]), 0) < t["bytes"]]
    check.expect("real capture: the JSON's top sites by bytes on the page, at least as large", missing, [])
    check.true("real capture: top sites by bytes largest first", all(a[4] >= b[4] for a, b in zip(shown, shown[1:])))
    check.expect("real capture: a row per top site", test.js("document.querySelectorAll('#top-bytes tbody tr').length"),
                 len(shown))
    growth = test.js("document.querySelectorAll('#growth tbody tr').length")
    check.expect("real capture: a growth row per growing site (at most 25)", growth, min(25, len(summary["growth"])))
    check.expect("real capture: a leak row per leak site", test.js("document.querySelectorAll('#leaks tbody tr').length"),
                 len(summary["leaks"]["sites"]))
    check.true("real capture: nothing live at its end", test.js("document.getElementById('live-at-end') === null"))
    test.screenshot("llm.png", full=True)
    detail = test.js("memledgerTimeline.model.meta.detail ?? null")
    total = detail["changes_total"] if detail else test.js("memledgerTimeline.model.count")
    check.expect(f"real capture ({total:,} changes): a bounded page exactly when longer than the page's 4M",
                 detail is not None, total > 4_000_000)
    if detail:
        bounded_page(test, check, detail)
    cut = TimelineTest(page, check, {}, args.artifacts)
    try:
        cut.load(os.path.join(args.artifacts, "llm-cut.html"))
    except CdpError as error:
        check.true(f"the cut capture's page gets ready: {error}", False)
        return
    live = cut_summary["capture"]["live_at_end"]
    check.true(f"cut capture: {live['buffers']} buffers live at its end", live["buffers"] > 0, live)
    check.expect("cut capture: no leak rows", cut.js("document.querySelectorAll('#leaks tbody tr').length"), 0)
    said = cut.text("#live-at-end")
    check.true("cut capture: running when it ends, its buffers live at end of capture, not leaks",
               said.startswith("Running when the capture ends: live at end of capture: ") and "(not leaks)" in said,
               said)


def burst_capture(page, check, args):
    """A burst of a few hundred buffer events, too quick for the consumer's 1 ms sleep, so drained at once (the
    sim's leaky without host work): each event a time of its own in the capture, and its page draws its peak."""
    capture = os.path.join(args.artifacts, "burst.mlcap")
    path = os.path.join(args.artifacts, "burst.html")
    memledger = os.path.join(args.bin_dir, "memledger")
    subprocess.run([memledger, "run", "-o", capture, "--", os.path.join(args.bin_dir, "memledger-sim"), "leaky",
                    "--threads", "1", "--iterations", "25", "--host-work", "0"],
                   env=clean_env(MEMLEDGER_REPORT="0"), capture_output=True, check=True, timeout=120)
    rows = list(csv.DictReader(io.StringIO(subprocess.run(
        [memledger, "export", capture, "--format", "csv"], capture_output=True, text=True, check=True,
        timeout=120).stdout)))
    times = [int(r["time_ns"]) for r in rows]
    print(f"  burst: {len(rows)} buffer events over {(times[-1] - times[0]) / 1e3:.0f} us")
    check.true(f"burst: a few hundred buffer events ({len(rows)})", len(rows) >= 200)
    check.true("burst: each buffer event a time of its own, increasing with seq",
               all(a < b for a, b in zip(times, times[1:])))
    summary = json.loads(subprocess.run([memledger, "report", capture, "--json", "--html", path], capture_output=True,
                                        text=True, check=True, timeout=120).stdout)
    # Each device × type's highest live bytes, summed row by row (a free takes its buffer's size).
    live, sizes, highest = {}, {}, {}
    for r in rows:
        pool = (int(r["device"]), r["type"])
        buffer = (*pool, r["buffer_id"])
        if r["kind"] in ("ALLOC", "CB_ALLOC", "KERNEL_LOAD"):
            sizes[buffer] = int(r["size"])
            live[pool] = live.get(pool, 0) + int(r["size"])
        else:
            live[pool] = live.get(pool, 0) - sizes.pop(buffer, 0)
        highest[pool] = max(highest.get(pool, 0), live[pool])
    peaks = {}
    for p in summary["peaks"]:
        peaks[(p["device"], p["type"])] = max(peaks.get((p["device"], p["type"]), 0), p["bytes"])
    test = TimelineTest(page, check, {}, args.artifacts)
    try:
        test.load(path)
    except CdpError as error:
        check.true(f"the burst's page gets ready: {error}", False)
        return
    charts = test.js("memledgerTimeline.charts()")
    drawn = {(c["device"], c["type"]): c["drawnMax"] for c in charts}
    check.expect("burst: each chart's top is its pool's highest live bytes", drawn, highest)
    check.expect("burst: each chart's top is the report's peak", drawn, peaks)
    test.screenshot("burst.png", full=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer", required=True)
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--changes", type=int, required=True)
    parser.add_argument("--bin-dir", help="memledger's binaries: also render a real llm capture's page")
    parser.add_argument("--capture-steps", type=int, default=4800, help="decode steps of that llm run")
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    check = Checker()
    path, expect = make_page(args, "timeline", ["--changes", str(args.changes), "--hostile"])
    small_path, small_expect = make_page(args, "small", ["--changes", "20000"])
    empty_path, _ = make_page(args, "empty", ["--empty"])
    print(f"  page: {path} ({os.path.getsize(path) / 1e6:.1f} MB, {expect['changes']:,} changes)")

    with Browser(args.chromium, WIDTH, HEIGHT) as page:
        test = TimelineTest(page, check, expect, args.artifacts)
        try:
            test.load(path)
        except CdpError as error:
            print(f"  FAILED the page did not get ready: {error}\n  {page.problems}")
            return 1
        test.drawing()
        plot = test.js("(({top, height, width}) => ({top, height, width}))"
                       "(document.querySelector('#charts canvas.overlay').getBoundingClientRect())")
        y = plot["top"] + plot["height"] / 2
        test.hover_and_pin(y)
        test.flame_at_peak()
        test.zoom_and_pan(y, plot["width"])
        test.stack_by_tag()
        test.empty(empty_path)
        small = TimelineTest(page, check, small_expect, args.artifacts)
        small.without_from_base64(small_path)
        small.damaged(small_path)
        if args.bin_dir:
            real_capture(page, check, args)
            burst_capture(page, check, args)

    expect_no_page_errors(page, check)
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
