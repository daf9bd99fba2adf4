#!/usr/bin/env python3
"""hook_path_test.py — every entry point of libmemledger.so whose record
takes a stack (memledger_record_*) lies in the memledger_hook_path section
(MEMLEDGER_HOOK_PATH, src/client/stack_capture.h), whose frames the stack
walk leaves out. One outside it is a frame of memledger's that ends the
leading frames left out: a language binding's native frames (the Python
module's) then come before the caller's own wherever the compiler keeps a
frame for it (a sanitized build; an optimized one makes the call into
Track a jump, which hides the mistake).

usage: hook_path_test.py LIBMEMLEDGER_SO
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402

SECTION = "memledger_hook_path"


def readelf(*args):
    return subprocess.run(["readelf", "-W", *args], capture_output=True, text=True, check=True).stdout


def main():
    library = sys.argv[1]
    check = Checker()
    sections = dict(re.findall(r"^\s*\[\s*(\d+)\]\s+(\S+)", readelf("-S", library), re.M))
    index = next((n for n, name in sections.items() if name == SECTION), None)
    check.true(f"libmemledger.so has a {SECTION} section", index is not None, sections)
    # Num: Value Size Type Bind Vis Ndx Name
    entries = {fields[7]: fields[6] for fields in (line.split() for line in readelf("--dyn-syms", library).splitlines())
               if len(fields) == 8 and fields[7].startswith("memledger_record_")}
    check.true("readelf lists the memledger_record_* entry points", len(entries) >= 7, entries)
    check.expect(f"the memledger_record_* entry points outside {SECTION}",
                 sorted(name for name, ndx in entries.items() if ndx != index), [])
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
