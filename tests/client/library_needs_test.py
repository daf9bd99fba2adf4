#!/usr/bin/env python3
"""library_needs_test.py — libmemledger.so, which every tracked program
loads, carries neither the report layer (report/, analysis/, symbolize/)
nor what that layer needs (libdw and, under it, libelf, zlib, bzip2):
the exit report and the lifecycle log load it from libmemledger_report.so
when they are wanted (src/client/report_layer_loader.h).

1. Its dynamic section needs none of those libraries (readelf -d).
2. None of the layer's code is linked in (its symbol table, nm -C): no
   Symbolizer, TextReport, LifecycleLog, CaptureAnalysis.

usage: library_needs_test.py LIBMEMLEDGER_SO
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402

LAYER_LIBRARIES = ("libdw.so", "libelf.so", "libz.so", "libbz2.so")
LAYER_CODE = ("memledger::Symbolizer::", "memledger::TextReport(", "memledger::LifecycleLog::",
              "memledger::CaptureAnalysis::")


def main():
    library = sys.argv[1]
    check = Checker()
    dynamic = subprocess.run(["readelf", "-d", library], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+)\]", dynamic)
    check.true("readelf lists what libmemledger.so needs", "libc.so.6" in needed, dynamic)
    for name in LAYER_LIBRARIES:
        check.expect(f"libmemledger.so does not need {name}", [n for n in needed if n.startswith(name)], [])
    symbols = subprocess.run(["nm", "-C", library], capture_output=True, text=True, check=True).stdout
    check.true("nm reads libmemledger.so's symbol table", "memledger_record_alloc" in symbols)
    for code in LAYER_CODE:
        check.expect(f"libmemledger.so holds no {code}",
                     [line for line in symbols.splitlines() if code in line][:3], [])
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
