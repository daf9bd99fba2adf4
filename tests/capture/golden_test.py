#!/usr/bin/env python3
"""golden_test.py — captures written by earlier versions still replay into
the same books. Each golden/NAME.mlcap was written by the memledger of its
version (NAME says which); golden/NAME.report.txt and NAME.report.json are
what that version's `memledger report` printed for it. This build must print
the same text (or, for a version whose report had fewer sections, that text
first, the sections added since after it), and JSON holding at least what
that JSON held (members added since are allowed; `capture.path`, which names
where the file was read from, is left out).

  v1_leaky: format version 1 (no description, no chunk flags), written and
            reported by the memledger of 1a64f40^ (2026-11-24), whose report
            ended at the leaks: no memory-over-time sections yet
            (`MEMLEDGER=1 MEMLEDGER_OUTPUT=v1_leaky.mlcap memledger-sim leaky
            --devices 2 --iterations 2 --leaks 3`).
  v2_leaky: format version 2, written before devices carried an identity
            (`MEMLEDGER=1 MEMLEDGER_OUTPUT=v2_leaky.mlcap memledger-sim leaky
            --devices 2 --iterations 2 --leaks 3 --host-work 0`).
  v3_leaky: format version 3, its chunks as columns (codec 2), written and
            reported on 2026-12-07 by the build that introduced it (the same
            command as v2's).

The texts were printed again on 2026-12-06, when the report's wording of
sites changed (issue 14: "1 buffer", a line saying how to record stacks
after sites without one), and again that day when its layout did (issue
15: a "full" column, pools fullest first, leaks before anomalies, "no
marks recorded"), and v2's once more when each site's stack came to be
printed once, the peaks of the fullest pools first and one list of top
sites (issue 15): every figure in them is the same as before.

usage: golden_test.py BIN_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
from checks import Checker  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


def missing(want, got, where=""):
    """Where `got` lacks or differs from something `want` holds, or None."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return f"{where}: not an object"
        for key, value in want.items():
            if key not in got:
                return f"{where}.{key}: missing"
            problem = missing(value, got[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{where}: {got!r} is not a list of {len(want)}"
        for i, (w, g) in enumerate(zip(want, got)):
            problem = missing(w, g, f"{where}[{i}]")
            if problem:
                return problem
        return None
    return None if want == got else f"{where}: got {got!r}, want {want!r}"


def main():
    memledger = os.path.join(os.path.abspath(sys.argv[1]), "memledger")
    check = Checker()
    # name: whether that version's text report is the whole of this build's
    goldens = {"v1_leaky": False, "v2_leaky": True, "v3_leaky": True}
    for name, whole_text in goldens.items():
        capture = name + ".mlcap"

        def report(*args):
            return subprocess.run([memledger, "report", capture] + list(args), cwd=GOLDEN, capture_output=True,
                                  text=True, timeout=120)

        text = report()
        check.expect(f"{name}: report exits 0", text.returncode, 0)
        with open(os.path.join(GOLDEN, name + ".report.txt")) as f:
            want_text = f.read()
        same = text.stdout == want_text if whole_text else text.stdout.startswith(want_text)
        check.true(f"{name}: the report's text is the golden one" + ("" if whole_text else ", first"), same,
                   f"--- got ---\n{text.stdout}--- want ---\n{want_text}")

        as_json = report("--json")
        check.expect(f"{name}: report --json exits 0", as_json.returncode, 0)
        with open(os.path.join(GOLDEN, name + ".report.json")) as f:
            want_json = json.load(f)
        want_json.get("capture", {}).pop("path", None)
        problem = missing(want_json, json.loads(as_json.stdout) if as_json.returncode == 0 else {})
        check.true(f"{name}: the report's JSON holds the golden one", problem is None, problem or "")
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
