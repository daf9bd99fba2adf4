"""The pytest plugin (python/pytest_memledger.py) on the toy runtime's suite (examples/toy_ttnn), run as
its users run it: exactly the planted tests fail, each naming its '# LEAKS HERE' line; the session
fixtures' buffers are never blamed; the same verdicts from two xdist workers, merged on the controller,
and under a real `memledger serve`; --memledger-repeat finds the per-call growth; warn mode; tracking
unavailable two ways; and 20 runs in a row with every verdict as expected."""
import json
import os
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import clean_env
from server_process import start_server, stop_all  # tests/tools, on PYTHONPATH

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "toy_ttnn"
FAILING = {"leak", "growth", "over_limit", "bad_marker"}


def expected():
    with open(EXAMPLE / "tests" / "expected.json") as file:
        return json.load(file)["tests"]


def run_suite(tmp_path, *args, env=None, pythonpath=None):
    """Runs the suite under the plugin: (CompletedProcess, {nodeid: record}, {nodeid: "passed"/"failed"})."""
    records = tmp_path / "records.json"
    junit = tmp_path / "junit.xml"
    environment = clean_env(**(env or {}))
    if pythonpath is not None:
        environment["PYTHONPATH"] = pythonpath
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "pytest_memledger", "--memledger", "--memledger-json", str(records),
         f"--junitxml={junit}", "-o", f"cache_dir={tmp_path / 'cache'}", "-rf", *args, "tests"],
        cwd=EXAMPLE, env=environment, capture_output=True, text=True, timeout=600)
    by_node = {}
    if records.exists():
        by_node = {r["nodeid"]: r for r in json.loads(records.read_text())["tests"]}
    outcomes = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        nodeid = f"{case.get('classname').replace('.', '/')}.py::{case.get('name')}"
        failure = case.find("failure") if case.find("failure") is not None else case.find("error")
        outcomes[nodeid] = ("passed", "") if failure is None else \
            ("failed", (failure.get("message") or "") + (failure.text or ""))
    return result, by_node, outcomes


def site_of(record):
    """The first leak site's "file:line", relative to the example."""
    site = record["leaks"]["sites"][0]["site"]
    path, _, line = site.rpartition(":")
    return f"{os.path.relpath(path, EXAMPLE)}:{line}"


def check_verdicts(result, records, outcomes, repeat=1):
    """Every test's verdict and outcome as expected.json says (growth tests leak in one run; every leak
    grows under repeat), each leak naming its planted line."""
    output = result.stdout + result.stderr
    assert set(records) == set(expected()), output
    for nodeid, want in expected().items():
        record, (outcome, message) = records[nodeid], outcomes[nodeid]
        verdict = want["verdict"]
        if verdict in ("leak", "growth"):
            verdict = "growth" if repeat > 1 else "leak"
        assert record["verdict"] == verdict, f"{nodeid}: {record}\n{output}"
        assert outcome == ("failed" if verdict in FAILING else "passed"), f"{nodeid}: {outcome}\n{output}"
        if "site" in want:
            assert site_of(record) == want["site"], f"{nodeid}: {record['leaks']}"
            if verdict in FAILING:
                assert pathlib.Path(want["site"]).name in message or want["site"] in output, message
        if verdict == "leak":
            assert (record["leaks"]["buffers"], record["leaks"]["bytes"]) == \
                (want.get("buffers", want.get("buffers_per_call")), want.get("bytes", want.get("bytes_per_call")))
        if verdict in ("pass", "allowed", "over_limit"):
            assert record["leaks"]["buffers"] <= want.get("buffers", 0), f"{nodeid}: {record['leaks']}"
        if "peak_above_begin" in want:
            assert max(p["above_begin"] for p in record["peaks"] if p["type"] == want["type"]) == \
                want["peak_above_begin"], record["peaks"]
    assert result.returncode == 1, output


def test_exactly_the_planted_tests_fail_naming_their_lines(tmp_path):
    result, records, outcomes = run_suite(tmp_path)
    check_verdicts(result, records, outcomes)
    assert "device_memory_limit(\"lots\"): 'lots' is not a size" in result.stdout, result.stdout
    assert "this test left 1 device buffer (4.0 KiB) live: test_forgotten_deallocate at test_leaks.py:10" in result.stdout
    # The summary: counts, the highest peaks, every leak.
    assert "memledger" in result.stdout and "device memory left live:" in result.stdout
    assert "tests/test_memory_limits.py::test_over_l1_limit" in result.stdout.split("highest device peaks")[1]


def test_a_leaking_last_test_fails_before_the_session_closes_the_device(tmp_path):
    """Run alone, the leaking test is the session's last: the session fixture's teardown (closing the
    device releases everything) comes after the check, so the leak is still found."""
    result, records, outcomes = run_suite(tmp_path, "-k", "test_forgotten_deallocate")
    node = "tests/test_leaks.py::test_forgotten_deallocate"
    assert records[node]["verdict"] == "leak", result.stdout
    assert outcomes[node][0] == "failed" and "test_leaks.py:10" in outcomes[node][1], result.stdout


def test_two_xdist_workers_give_the_same_verdicts_merged(tmp_path):
    result, records, outcomes = run_suite(tmp_path, "-n", "2")
    check_verdicts(result, records, outcomes)
    assert "device memory left live:" in result.stdout
    assert "test_forgotten_deallocate (leak)" in result.stdout


def test_a_server_gives_the_same_verdicts(tmp_path):
    path = str(tmp_path / "memledger.sock")
    try:
        start_server(os.environ["MEMLEDGER_BIN_DIR"], path)
        result, records, outcomes = run_suite(tmp_path, env={"MEMLEDGER_SOCKET": path})
        check_verdicts(result, records, outcomes)
    finally:
        stop_all()


def test_repeat_finds_the_growth_per_call(tmp_path):
    result, records, outcomes = run_suite(tmp_path, "--memledger-repeat", "5")
    check_verdicts(result, records, outcomes, repeat=5)
    growth = records["tests/test_cache_growth.py::test_scaled_input"]
    want = expected()["tests/test_cache_growth.py::test_scaled_input"]
    assert growth["leaks_per_run"] == [want["buffers_per_call"]] * 5
    assert growth["leaks"]["bytes"] == want["bytes_per_call"]
    assert "grows with every run" in outcomes["tests/test_cache_growth.py::test_scaled_input"][1] or \
        "grows with every run" in result.stdout
    assert records["tests/test_leaks.py::test_allowed_leak"]["leaks_per_run"] == [1] * 5


def test_compare_tests_names_what_grew(tmp_path):
    """`memledger compare-tests` on two runs' records: the same run twice is no growth; a later run whose
    test leaks and whose peak rose (edited from the first's) is named, and --fail-on growth exits 3."""
    result, _, _ = run_suite(tmp_path)
    before = tmp_path / "records.json"
    document = json.loads(before.read_text())
    clean, busy = "tests/test_ops.py::test_freed_memory_is_reused", "tests/test_ops.py::test_add[32x32-DRAM]"
    for record in document["tests"]:
        if record["nodeid"] == clean:
            record["leaks"] = {"buffers": 2, "bytes": 4096, "sites": [{"headline": "f at test_ops.py:1"}]}
        if record["nodeid"] == busy:
            record["peak_above_begin"] *= 2
    after = tmp_path / "after.json"
    after.write_text(json.dumps(document))
    cli = os.path.join(os.environ["MEMLEDGER_BIN_DIR"], "memledger")
    same = subprocess.run([cli, "compare-tests", str(before), str(before), "--fail-on", "growth"],
                          capture_output=True, text=True, timeout=60)
    assert same.returncode == 0 and "nothing grew" in same.stdout, same.stdout + same.stderr
    grew = subprocess.run([cli, "compare-tests", str(before), str(after), "--fail-on", "growth"],
                          capture_output=True, text=True, timeout=60)
    assert grew.returncode == 3, grew.stdout + grew.stderr
    assert f"{clean}: 0 buffers \u2192 2 buffers live (+4.0 KiB), at f at test_ops.py:1" in grew.stdout
    assert f"{busy}: " in grew.stdout.split("device peaks")[1] and "+100%" in grew.stdout
    assert "--fail-on growth: 2 tests grew; exit status 3" in grew.stderr
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    refused = subprocess.run([cli, "compare-tests", str(fifo), str(after)], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "is not a regular file" in refused.stderr, refused.stderr


def test_warn_mode_fails_only_the_malformed_marker(tmp_path):
    result, records, outcomes = run_suite(tmp_path, "--memledger-mode", "warn")
    failed = {nodeid for nodeid, (outcome, _) in outcomes.items() if outcome == "failed"}
    assert failed == {"tests/test_memory_limits.py::test_malformed_limit"}, result.stdout
    assert records["tests/test_leaks.py::test_forgotten_deallocate"]["verdict"] == "leak"
    assert "warning: tests/test_leaks.py::test_forgotten_deallocate: leak" in result.stdout


@pytest.mark.parametrize("how", ["MEMLEDGER=0", "no memledger module"])
def test_unavailable_is_said_once_and_the_suite_runs_unchanged(tmp_path, how):
    if how == "MEMLEDGER=0":
        result, records, outcomes = run_suite(tmp_path, env={"MEMLEDGER": "0"})
        reason = "tracking is off in this process"
    else:
        # Only the plugin on the path: the runtime and the plugin find no memledger package.
        alone = tmp_path / "plugin_alone"
        alone.mkdir()
        (alone / "pytest_memledger.py").write_text(
            (pathlib.Path(os.environ["PYTHONPATH"].split(os.pathsep)[0]) / "pytest_memledger.py").read_text())
        result, records, outcomes = run_suite(tmp_path, pythonpath=str(alone))
        reason = "the memledger module cannot be imported"
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(outcome == "passed" for outcome, _ in outcomes.values()), result.stdout
    assert result.stdout.count("memledger: device-memory checks are off") == 1, result.stdout
    assert reason in result.stdout
    assert records == {}


HOG = """
import memledger

HELD = []  # every checkpoint the process may have, taken as the module is collected
while True:
    try:
        HELD.append(memledger.checkpoint())
    except memledger.CheckpointError:
        break


def test_first():
    pass


def test_second():
    pass
"""


def test_a_test_the_gate_cannot_check_runs_unchanged(tmp_path):
    """The program's own code holds every checkpoint open: the tests run and pass, unchecked, said."""
    (tmp_path / "test_hog.py").write_text(HOG)
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "pytest_memledger", "--memledger", "-p",
                             "no:cacheprovider", "test_hog.py"], cwd=tmp_path, env=clean_env(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout and "2 tests: 2 unchecked" in result.stdout, result.stdout
    assert "not checked: test_hog.py::test_first: memledger could not check this test: 64 checkpoints are open" \
        in result.stdout, result.stdout


def test_twenty_runs_in_a_row_give_the_same_verdicts(tmp_path):
    for run in range(20):
        directory = tmp_path / f"run{run}"
        directory.mkdir()
        check_verdicts(*run_suite(directory))
