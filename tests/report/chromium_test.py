#!/usr/bin/env python3
"""chromium_test.py — the HTML timeline (memledger report --html) in headless
Chromium, on a synthetic timeline made by write_synthetic_html (two devices,
DRAM/L1/CB/KERNEL, tags, ~300 sites with stacks, a mark per step, a short
spike, leaks, anomalies, hostile names, a cut capture's problem):

1. The page draws every chart: the page's own performance.now() when ready
   (from navigation start) is printed with its stages, for information only
   (how fast is bench/html_render_bench.cc's question); no console error,
   uncaught exception, log error or dialog, ever.
2. What is drawn is right: a chart per device with colored pixels; at full
   zoom out each chart's top reaches the device's highest live bytes exactly
   (the min/max envelope loses no peak), stacked by type and by tag; title,
   problem banner, summary and findings tables as written; hostile names
   stayed text.
3. Interaction through real input events: hovering lists the sites live at
   that instant; a click pins it and shows their stacks; wheel and drag zoom
   change the range and draw again, down to exact steps; the y axis fits
   the view on request; shift+wheel pans.
4. An empty timeline (no buffer events) is a page that says so; without
   Uint8Array.fromBase64 the page reads its data through a data: URL; a
   damaged page says it could not be shown.
5. With --bin-dir, a real capture: `memledger-sim llm` tracked with stacks for
   --capture-steps decode steps (10M events in the release build), made into
   a page by `memledger report --html`: drawn, a chart per device, a leak row per leak site of `memledger report --json`.
6. With --bin-dir, a burst: a few hundred buffer events drained at once (the sim's leaky without host work): each
   a time of its own in its capture's CSV, and each chart's top is the device's highest live bytes — the report's
   peak — exactly (before issue 14 they shared one time and the chart was flat at 0 B).
Screenshots are kept in --artifacts (timeline.png, timeline-pinned.png,
timeline-zoomed.png, llm.png, burst.png); their paths are printed.

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
from cdp import Browser, CdpError  # noqa: E402
from checks import Checker, clean_env  # noqa: E402

WIDTH, HEIGHT = 1600, 1000
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
window.__colored = () => [...document.querySelectorAll('#charts canvas.base')].map((canvas) => {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let colored = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], g = data[i + 1], b = data[i + 2];
    if (data[i + 3] > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) colored++;
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

    def mouse(self, kind, x, y, **extra):
        self.page.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def screenshot(self, name, full=False):
        path = os.path.join(self.artifacts, name)
        params = {"format": "png"}
        if full:
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
        check.expect("a chart per device", self.js("document.querySelectorAll('#charts canvas.base').length"),
                     len(expect["max_live"]))
        check.true(f"every chart drawn (colored share {self.js('__colored()')})", self.all_drawn(0.05))
        check.expect("overview reaches each device's highest live bytes (by type)",
                     self.js("memledgerTimeline.drawnMax()"), self.max_live())
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
        check.true("an anomaly row says what its first anomaly was",
                   "circular buffer 3, [0x40, 0x80) 64 B on device 0 CB: freed twice" in self.text("#anomalies"))
        check.expect("hostile names made no elements", self.js(rows.format("img, b")), 0)
        check.expect("scripts", self.js("document.scripts.length"), 3)
        self.screenshot("timeline.png", full=True)

    def max_live(self):
        return [self.expect["max_live"][device] for device in sorted(self.expect["max_live"], key=int)]

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
        except CdpError as error:
            check.true(f"a click pins the instant and shows stacks: {error}", False)
        self.screenshot("timeline-pinned.png")

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
        check.true("still drawn after zooming", self.all_drawn(0.01))

        for _ in range(20):  # down to exact steps
            if "exact steps" in self.text("#view-range"):
                break
            self.redraw(wheel(-600), "wheel zoom")
        in_view = self.text("#view-range")
        changes = int(in_view.split(" changes in view")[0].split()[-1].replace(",", ""))
        check.true(f"zoomed in far enough the chart shows exact steps ({in_view})",
                   "exact steps" in in_view and changes > 0)
        check.true("exact steps are drawn", self.all_drawn(0.01))
        self.redraw(lambda: self.js("document.getElementById('y-fit').click()"), "y axis fitted")
        check.true("a fitted y axis is drawn", self.all_drawn(0.01))
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
        check.expect("overview reaches each device's highest live bytes (by tag)",
                     self.js("memledgerTimeline.drawnMax()"), self.max_live())
        legend = self.js("[...document.querySelectorAll('.legend button')].map(b => b.textContent)")
        check.true(f"the tag legend names the tags ({legend})",
                   {"weights", "kv_cache", "activations", "(untagged)", HOSTILE_TAG} <= set(legend))
        check.true("stacked by tag is drawn", self.all_drawn(0.05))

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
            check.true("without fromBase64 every chart is drawn", self.all_drawn(0.05))
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
    os.remove(capture)
    os.remove(cut)
    print(f"  real capture: {summary['events']:,} events -> {page} ({os.path.getsize(page) / 1e6:.1f} MB)")
    return page, summary, json.loads(cut_report.stdout)


def real_capture(page, check, args):
    path, summary, cut_summary = real_capture_page(args)
    test = TimelineTest(page, check, {}, args.artifacts)
    try:
        test.load(path)
    except CdpError as error:
        check.true(f"the real capture's page gets ready: {error}", False)
        return
    check.expect("real capture: a chart per device", test.js("document.querySelectorAll('#charts canvas.base').length"),
                 len(summary["devices"]))
    check.true(f"real capture: every chart drawn ({test.js('__colored()')})", test.all_drawn(0.05))
    check.expect("real capture: a leak row per leak site", test.js("document.querySelectorAll('#leaks tbody tr').length"),
                 len(summary["leaks"]["sites"]))
    check.true("real capture: nothing live at its end", test.js("document.getElementById('live-at-end') === null"))
    test.screenshot("llm.png", full=True)
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
    # Each device's highest live bytes, all types stacked, summed row by row (a free takes its buffer's size).
    live, sizes, highest = {}, {}, {}
    for r in rows:
        device = int(r["device"])
        buffer = (device, r["type"], r["buffer_id"])
        if r["kind"] in ("ALLOC", "CB_ALLOC", "KERNEL_LOAD"):
            sizes[buffer] = int(r["size"])
            live[device] = live.get(device, 0) + int(r["size"])
        else:
            live[device] = live.get(device, 0) - sizes.pop(buffer, 0)
        highest[device] = max(highest.get(device, 0), live[device])
    peaks = {}
    for p in summary["peaks"]:
        peaks[p["device"]] = peaks.get(p["device"], 0) + p["bytes"]
    test = TimelineTest(page, check, {}, args.artifacts)
    try:
        test.load(path)
    except CdpError as error:
        check.true(f"the burst's page gets ready: {error}", False)
        return
    drawn = test.js("memledgerTimeline.drawnMax()")
    check.expect("burst: each chart's top is its device's highest live bytes", drawn,
                 [highest[d] for d in sorted(highest)])
    if all(len([p for p in summary["peaks"] if p["device"] == d]) == 1 for d in peaks):
        check.expect("burst: each chart's top is the report's peak (one type a device)", drawn,
                     [peaks[d] for d in sorted(peaks)])
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
        test.zoom_and_pan(y, plot["width"])
        test.stack_by_tag()
        test.empty(empty_path)
        small = TimelineTest(page, check, small_expect, args.artifacts)
        small.without_from_base64(small_path)
        small.damaged(small_path)
        if args.bin_dir:
            real_capture(page, check, args)
            burst_capture(page, check, args)

    for problem in page.problems:
        print(f"  page said: {problem}")
    errors = [p for p in page.problems if "error" in p.split(":")[0] or p.startswith(("uncaught", "a dialog"))]
    check.expect("console errors, exceptions and dialogs", errors, [])
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
