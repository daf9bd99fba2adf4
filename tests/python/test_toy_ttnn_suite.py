"""The toy runtime's suite (examples/toy_ttnn) run as its users run it, tracked
with stacks into a capture: the suite passes, and the capture's leaks are
exactly the planted ones, each site headed by its `# LEAKS HERE` line (the
runtime's frames folded by its skip pattern) — the sites a leak gate will
name. Without tracking the suite passes the same."""
import json
import os
import pathlib
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "toy_ttnn"
BIN_DIR = os.environ["MEMLEDGER_BIN_DIR"]


def run_suite(env):
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=EXAMPLE,
                          env=env, capture_output=True, text=True, timeout=300)


def expected_sites():
    """{"file.py:line": buffers} of the planted leaks a whole run leaves (each test runs once)."""
    with open(EXAMPLE / "tests" / "expected.json") as f:
        tests = json.load(f)["tests"]
    return {pathlib.Path(v["site"]).name: v.get("buffers", v.get("buffers_per_call"))
            for v in tests.values() if "site" in v}


def test_untracked_suite_passes():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER")}
    result = run_suite(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_tracked_leaks_are_the_planted_lines(tmp_path):
    capture = tmp_path / "suite.mlcap"
    env = dict(os.environ, MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_REPORT="0", MEMLEDGER_OUTPUT=str(capture))
    result = run_suite(env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = subprocess.run([os.path.join(BIN_DIR, "memledger"), "report", str(capture), "--json"],
                            capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    books = json.loads(report.stdout)
    got = {}
    for site in books["leaks"]["sites"]:
        where = site["headline"].rsplit(" at ", 1)[-1]
        got[where] = got.get(where, 0) + site["buffers"]
    assert got == expected_sites()
    assert sum(books["anomalies"].values()) == 0, books["anomalies"]
