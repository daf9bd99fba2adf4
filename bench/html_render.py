#!/usr/bin/env python3
"""html_render.py — how long the HTML timeline (memledger report --html) takes
to draw in headless Chromium: writes a synthetic page of --changes buffer
changes with write_synthetic_html (or takes --page, a page already written),
loads it --runs times in one browser and prints the page's own
performance.now() from navigation start to every chart drawn, one number
(ms) per line. Driven by BM_HtmlRender* (html_render_bench.cc) and
BM_HtmlCapture100M (report_bench.cc); the test (tests/report/chromium_test.py)
checks what is drawn, never how fast.

usage: html_render.py --chromium PATH (--writer BIN --dir DIR --changes N | --page PATH) [--runs N]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "report"))
from cdp import Browser  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--writer")
    parser.add_argument("--chromium", required=True)
    parser.add_argument("--dir")
    parser.add_argument("--changes", type=int)
    parser.add_argument("--page")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if args.page:
        page_path = args.page
    else:
        if not (args.writer and args.dir and args.changes):
            parser.error("--writer, --dir and --changes make the page, unless --page gives one")
        os.makedirs(args.dir, exist_ok=True)
        page_path = os.path.join(args.dir, f"render-{args.changes}.html")
    if not os.path.exists(page_path):
        subprocess.run([args.writer, "--changes", str(args.changes), "--out", page_path, "--expect",
                        page_path + ".expect.json"], check=True, capture_output=True, timeout=600)
    with Browser(args.chromium, 1600, 1000) as page:
        for _ in range(args.runs):
            page.call("Page.navigate", url="file://" + os.path.abspath(page_path))
            page.wait_event("Page.loadEventFired", timeout=120)
            print(f"{page.evaluate('memledgerTimeline.ready', 120):.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
