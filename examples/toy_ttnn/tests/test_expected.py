# expected.json against the suite: every test run has a verdict there, and its leak sites are
# exactly the lines that end in "# LEAKS HERE".
import json
import pathlib

HERE = pathlib.Path(__file__).parent
EXAMPLE = HERE.parent  # node ids and sites in expected.json are relative to this directory
MARK = "# LEAKS HERE"
VERDICTS = {"pass", "leak", "allowed", "over_limit", "bad_marker", "growth"}


def expected():
    with open(HERE / "expected.json") as file:
        return json.load(file)["tests"]


def marked_lines():
    """{"tests/file.py:line"} of every line ending in the mark."""
    return {f"{path.relative_to(EXAMPLE)}:{number}"
            for path in sorted(HERE.glob("*.py"))
            for number, line in enumerate(path.read_text().splitlines(), 1) if line.rstrip().endswith(MARK)}


def test_every_test_run_has_a_verdict(request):
    verdicts = expected()
    for item in request.session.items:
        node = f"{pathlib.Path(item.path).relative_to(EXAMPLE)}::{item.nodeid.split('::', 1)[1]}"
        assert node in verdicts, f"{node} has no verdict in expected.json"
    assert {v["verdict"] for v in verdicts.values()} <= VERDICTS


def test_sites_are_the_marked_lines():
    sites = {v["site"] for v in expected().values() if "site" in v}
    assert sites == marked_lines()
