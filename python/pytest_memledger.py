"""pytest_memledger — device-memory leak gates for pytest, on memledger's checkpoints.

``pytest --memledger`` checks every test: a test that leaves device buffers live fails, naming each
leak's site by the test's own line (Python frames first, the runtime's folded), and the session
summary lists the highest device peaks and every leak. Installed, pytest finds this plugin by its
``pytest11`` entry point; from a build tree, ``-p pytest_memledger`` with build/python on PYTHONPATH.
It is a module of its own, not part of the memledger package: importing that package loads
libmemledger, which decides at load whether the process is tracked, and the plugin must turn
tracking on (MEMLEDGER=1, MEMLEDGER_STACKS=1) before anything imports it.

A test's window runs from the start of its setup to the end of its own teardown: its function-scoped
fixtures are its own. What a wider fixture (a session ``device``, a module's weights) sets up inside
the window is left out, by the range of sequence numbers of its setup; its buffers are never the
test's. The check runs in the teardown of an autouse fixture of the plugin's, after the test's own
fixtures are torn down and before any wider one is (the session's end closing the device would hide
what the test left). Options and markers:

- ``--memledger-mode=warn``: leaks and limits are said in the summary; no test fails for them.
- ``@pytest.mark.allow_device_leaks(buffers=N, reason="...")``: up to N buffers may stay live (per run).
- ``@pytest.mark.device_memory_limit("256 MiB", type="L1", device=0)``: the test's peak above what was
  live at its start, of that type and device (any when not given), stays within the limit;
  ``--memledger-default-limit "1 GiB[:TYPE]"`` for every test without the marker.
- ``--memledger-repeat N``: each test runs N times in its module's and session's fixtures; what every
  run after the first leaves is growth (the leak that grows per call), what the first alone leaves is
  warm-up (a cache filled once).
- ``--memledger-json FILE``: per test, its verdict, peaks and leak sites (schema memledger.tests/1),
  for CI dashboards and ``memledger compare-tests``.
- With pytest-xdist (``-n 2``) each worker checks its own tests; the records ride on the reports and
  the controller writes the JSON and the summary.

With tracking unavailable (memledger not importable, MEMLEDGER=0), the plugin says so once and the
suite runs unchanged.
"""
import dataclasses
import json
import os
import re

import pytest
from _pytest.runner import runtestprotocol

_PROPERTY = "memledger"  # the user_properties key of a test's record
_MAX_EXCLUDES = 8        # memledger.h's MEMLEDGER_MAX_EXCLUDES
_UNITS = {"b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
          "kb": 10 ** 3, "mb": 10 ** 6, "gb": 10 ** 9, "tb": 10 ** 12}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)


def pytest_addoption(parser):
    group = parser.getgroup("memledger", "device-memory leak gates (memledger)")
    group.addoption("--memledger", action="store_true", default=False,
                    help="fail a test that leaves device buffers live or goes over its device memory limit")
    group.addoption("--memledger-mode", choices=("fail", "warn"), default="fail",
                    help="warn: say leaks and limits in the summary only (default: fail the test)")
    group.addoption("--memledger-default-limit", metavar="SIZE[:TYPE]", default=None,
                    help='the device_memory_limit of tests without the marker: "1 GiB" or "256 MiB:L1"')
    group.addoption("--memledger-repeat", type=int, default=1, metavar="N",
                    help="run each test N times and flag the leaks that grow per run")
    group.addoption("--memledger-json", metavar="FILE", default=None,
                    help="write each test's verdict, peaks and leak sites (memledger.tests/1)")
    group.addoption("--memledger-max-sites", type=int, default=3, metavar="N",
                    help="leak sites shown in a failing test's message (default 3; the JSON has all)")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # Before conftests import the runtime (and so memledger): tracking, with stacks, and no exit report
    # of the pytest process. An explicit MEMLEDGER=0 stays off.
    if early_config.known_args_namespace.memledger:
        os.environ.setdefault("MEMLEDGER", "1")
        os.environ.setdefault("MEMLEDGER_STACKS", "1")
        os.environ.setdefault("MEMLEDGER_REPORT", "0")


# --- sizes and markers -------------------------------------------------------------------------------

def parse_size(value):
    """Bytes from an int or a string like "256 MiB" / "64KiB" / "1.5 GB"; ValueError when it is neither."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{value!r} is not a size: give bytes (an int) or a string like \"256 MiB\"")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is not a size: it is negative")
        return value
    match = _SIZE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a size: give bytes (an int) or a string like \"256 MiB\"")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "b").lower()])


def format_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n} B" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _sites(result):
    """The answer's sites, each with its stack (its text but for its count line, which ours says)."""
    return result.text.rstrip().split("\n", 1)[-1]


def _first_site(result):
    """": <the largest site's headline>" (and how many more), for a failure's first line."""
    named = [site for site in result.sites if site.headline]
    if not named:
        return ""
    more = len(result.sites) - 1
    return f": {named[0].headline}{f' and {more} more' if more else ''}"


@dataclasses.dataclass
class Limit:
    bytes: int
    type: str | None
    device: int | None
    text: str  # as the marker or option said it

    def describe(self):
        where = " ".join(x for x in (self.type, None if self.device is None else f"device {self.device}") if x)
        return f"{self.text}{' of ' + where if where else ''}"


def _marker_text(mark):
    args = [repr(a) if not isinstance(a, str) else json.dumps(a) for a in mark.args]
    args += [f"{k}={v!r}" for k, v in mark.kwargs.items()]
    return f"@pytest.mark.{mark.name}({', '.join(args)})"


def limit_of(mark):
    """The Limit a device_memory_limit marker says; ValueError saying what is wrong with it."""
    args, kwargs = list(mark.args), dict(mark.kwargs)
    if "limit" in kwargs:
        args.insert(0, kwargs.pop("limit"))
    if len(args) != 1:
        raise ValueError("give one limit: device_memory_limit(\"256 MiB\", type=\"L1\", device=0)")
    type_, device = kwargs.pop("type", None), kwargs.pop("device", None)
    if kwargs:
        raise ValueError(f"unknown arguments {sorted(kwargs)}: it takes a limit, type and device")
    if type_ is not None and not isinstance(type_, str):
        raise ValueError(f"type must be a memory type's name (\"L1\"), not {type_!r}")
    if device is not None and (isinstance(device, bool) or not isinstance(device, int) or device < 0):
        raise ValueError(f"device must be a device number, not {device!r}")
    return Limit(parse_size(args[0]), type_, device, str(args[0]))


def allowance_of(mark):
    """How many buffers an allow_device_leaks marker allows; ValueError saying what is wrong with it."""
    kwargs = dict(mark.kwargs)
    if mark.args:
        raise ValueError("give its arguments by name: allow_device_leaks(buffers=1, reason=\"why\")")
    buffers, reason = kwargs.pop("buffers", None), kwargs.pop("reason", None)
    if kwargs:
        raise ValueError(f"unknown arguments {sorted(kwargs)}: it takes buffers and reason")
    if isinstance(buffers, bool) or not isinstance(buffers, int) or buffers < 0:
        raise ValueError(f"buffers must be a count (an int >= 0), not {buffers!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("a reason is required: allow_device_leaks(buffers=1, reason=\"why\")")
    return buffers


def default_limit(text):
    size, _, type_ = text.partition(":")
    return Limit(parse_size(size), type_ or None, None, size.strip())


# --- the gate ----------------------------------------------------------------------------------------

class Failure:
    """A failing report's longrepr: the whole message in the failure section, its first line in pytest's
    short summary (-rf) and in JUnit XML's failure message. xdist carries it as its text."""

    def __init__(self, text):
        self.text = text
        self.reprcrash = Crash(text.splitlines()[0])

    def toterminal(self, terminal):
        for line in self.text.splitlines():
            terminal.line(line)

    def __str__(self):
        return self.text


@dataclasses.dataclass
class Crash:
    message: str

class Window:
    """One run of a test inside a checkpoint: the sequence ranges of wider fixtures set up inside it."""

    def __init__(self, memledger):
        self.memledger = memledger
        self.excludes = []
        try:
            self.checkpoint = memledger.checkpoint()
        except memledger.CheckpointError as error:  # the process's own code holds every checkpoint open
            self.checkpoint, self.error = None, error

    def exclude(self, begin, end):
        if end > begin:
            self.excludes.append((begin, end))

    def ranges(self):
        """At most _MAX_EXCLUDES ranges: the nearest neighbours merged (what lies between is the test's
        own, left out with them only past that many wider fixtures in one test)."""
        ranges = sorted(self.excludes)
        while len(ranges) > _MAX_EXCLUDES:
            gaps = [ranges[i + 1][0] - ranges[i][1] for i in range(len(ranges) - 1)]
            i = gaps.index(min(gaps))
            ranges[i:i + 2] = [(ranges[i][0], max(ranges[i][1], ranges[i + 1][1]))]
        return ranges

    def check(self, max_sites):
        """Asks what the test left (once its own fixtures are torn down), then ends the checkpoint."""
        if self.checkpoint is None:
            return
        try:
            self.result = self.checkpoint.query(exclude=self.ranges(), max_sites=max_sites)
        except self.memledger.CheckpointError as error:
            self.error = error
        finally:
            self.checkpoint.end()

    def end(self):
        if self.checkpoint is not None:
            self.checkpoint.end()

    result = None  # the answer, once checked
    error = None   # or why it could not be had


class Gate:
    """The session's gate: options, whether tracking is available, the records of the tests."""

    def __init__(self, config):
        self.config = config
        self.mode = config.getoption("memledger_mode")
        self.repeat = max(1, config.getoption("memledger_repeat"))
        self.max_sites = max(1, config.getoption("memledger_max_sites"))
        self.json_path = config.getoption("memledger_json")
        self.worker = hasattr(config, "workerinput")
        text = config.getoption("memledger_default_limit")
        try:
            self.default_limit = default_limit(text) if text else None
        except ValueError as error:
            raise pytest.UsageError(f"--memledger-default-limit {text!r}: {error}") from None
        self.unavailable = None
        self.memledger = None
        self.window = None
        self.records = []
        try:
            import memledger
        except ImportError as error:
            self.unavailable = f"the memledger module cannot be imported ({error})"
            return
        if not memledger.enabled():
            self.unavailable = (f"tracking is off in this process (MEMLEDGER={os.environ.get('MEMLEDGER', '')!r}; "
                                "it must be on before memledger is first imported)")
            return
        self.memledger = memledger
        here = os.path.abspath(__file__)
        for name in {here, __file__, os.path.splitext(here)[0]}:
            memledger._memledger._hide_frames_under(name)

    @property
    def active(self):
        return self.unavailable is None

    # -- one test --

    def markers(self, item):
        """(allowed buffers or None, [Limit], [bad marker messages])."""
        allowed, limits, bad = None, [], []
        for mark in item.iter_markers("allow_device_leaks"):
            try:
                allowed = allowance_of(mark)
            except ValueError as error:
                bad.append(f"{_marker_text(mark)}: {error}")
            break  # the closest one
        for mark in item.iter_markers("device_memory_limit"):
            try:
                limits.append(limit_of(mark))
            except ValueError as error:
                bad.append(f"{_marker_text(mark)}: {error}")
        if not limits and not bad and self.default_limit is not None:
            limits.append(self.default_limit)
        return allowed, limits, bad

    def run(self, item, nextitem):
        """Runs the test (repeat times), checks each run, logs the reports; True (pytest's protocol done)."""
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        runs = []  # (reports, result or None, error or None): neither when the check never ran
        for i in range(self.repeat):
            last = i == self.repeat - 1
            self.window = Window(self.memledger)
            try:
                # Before another run, the teardown keeps what the item's parent needs (its module's,
                # class's and session's fixtures) and tears down the item's own.
                reports = runtestprotocol(item, log=False, nextitem=nextitem if last else item.parent)
            finally:
                window, self.window = self.window, None
                window.end()  # when its setup failed before the check's fixture: nothing to check
            runs.append((reports, window.result, window.error))
            if any(r.failed for r in reports) or window.result is None:
                break  # a failing run is the one to show; another would tell no more
        reports = runs[-1][0]
        record = self.judge(item, runs)
        self.apply(item, reports, record)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def judge(self, item, runs):
        allowed, limits, bad = self.markers(item)
        record = {"nodeid": item.nodeid, "runs": len(runs), "verdict": "pass", "messages": []}
        errors = [error for _, _, error in runs if error is not None]
        if errors:
            record.update(verdict="unchecked", messages=[f"memledger could not check this test: {errors[0]}"])
            return record
        if runs[-1][1] is None:
            record["verdict"] = "unchecked"  # its setup failed first: the failure says why
            return record
        results = [result for _, result, _ in runs]
        last = results[-1]
        record["leaks"] = {"buffers": last.buffers, "bytes": last.bytes,
                           "sites": [dataclasses.asdict(site) for site in last.sites]}
        record["peaks"] = [dict(dataclasses.asdict(p), above_begin=p.above_begin) for p in last.peaks]
        record["peak_above_begin"] = max((r.peak_above_begin for r in results), default=0)
        record["leaks_per_run"] = [r.buffers for r in results]
        messages, verdict = [], "pass"
        if bad:
            verdict = "bad_marker"
            messages += [f"memledger: {message}" for message in bad]
        leaking = self.leak_verdict(results, allowed)
        if leaking is not None:
            kind, text = leaking
            if kind == "allowed":
                verdict = "allowed" if verdict == "pass" else verdict
                record["allowed"] = allowed
            else:
                verdict = kind if verdict == "pass" else verdict
                messages.append(text)
        for limit in limits:
            peak = max(r.peak_above(limit.type, limit.device) for r in results)
            if peak > limit.bytes:
                verdict = "over_limit" if verdict == "pass" else verdict
                messages.append(f"memledger: device memory rose {format_bytes(peak)} above its start, over the "
                                f"limit of {limit.describe()}")
        record["verdict"] = verdict
        record["messages"] = messages
        if messages and verdict in ("leak", "growth"):
            path = self.save_details(item, record)
            if path:
                messages.append(f"  every site and buffer: {path}")
        return record

    def leak_verdict(self, results, allowed):
        """(verdict, message) for what the runs left live, or None when nothing that counts did."""
        first, later = results[0], results[1:]
        if allowed is not None and all(r.buffers <= allowed for r in results):
            return ("allowed", None) if any(r.buffers for r in results) else None
        if later:
            if all(r.buffers for r in later):
                per = min(later, key=lambda r: r.buffers)
                return ("growth", f"memledger: device memory grows with every run: each of runs 2-{len(results)} "
                                  f"left {_count(per.buffers, 'more buffer')} live ({format_bytes(per.bytes)} or "
                                  f"more){_first_site(per)}\n{_sites(per)}")
            leaking = next((r for r in later if r.buffers), None)
            if leaking is None:
                return None  # the first run alone: warm-up
            return ("leak", f"memledger: a run of this test left {_count(leaking.buffers, 'device buffer')} "
                            f"({format_bytes(leaking.bytes)}) live{_first_site(leaking)}\n{_sites(leaking)}")
        if first.buffers == 0:
            return None
        return ("leak", f"memledger: this test left {_count(first.buffers, 'device buffer')} "
                        f"({format_bytes(first.bytes)}) live{_first_site(first)}\n{_sites(first)}")

    def save_details(self, item, record):
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return None
        try:
            directory = cache.mkdir("memledger")
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:] + ".json"
            path = directory / name
            path.write_text(json.dumps(record, indent=2))
            relative = os.path.relpath(path)
            return str(path) if relative.startswith("..") else relative
        except OSError:
            return None

    def apply(self, item, reports, record):
        """Puts the record on the last report (an xdist worker's reach the controller with it) and fails the
        call (or the setup, when the call did not run) with the messages, unless in warn mode."""
        reports[-1].user_properties.append((_PROPERTY, json.dumps(record)))
        if not record["messages"] or record["verdict"] in ("pass", "allowed"):
            return
        text = "\n".join(record["messages"])
        target = next((r for r in reports if r.when == "call"), reports[0])
        # A malformed marker fails in either mode: the check the test asked for was not made.
        if record["verdict"] == "unchecked" or (self.mode == "warn" and record["verdict"] != "bad_marker"):
            target.sections.append(("memledger", text))
            return
        if target.passed:
            target.outcome = "failed"
            target.longrepr = Failure(text)
        else:
            target.sections.append(("memledger", text))

    # -- pytest's hooks (the gate is a plugin of its own, registered by pytest_configure) --

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        return self.run(item, nextitem) if self.active else None

    @pytest.fixture(autouse=True)
    def _memledger_checks_this_test(self):
        """Set up first of the test's function-scoped fixtures (after the wider ones: pytest orders by
        scope, a plugin's autouse first), so torn down last of them: the test's window is checked here,
        after its own fixtures' teardown and before any wider fixture's (a session device's close releases
        everything it still holds, and must not hide what the test left)."""
        yield
        if self.window is not None:
            self.window.check(self.max_sites)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        window = self.window
        if window is None or fixturedef.scope == "function":
            yield
            return
        begin = self.memledger.sequence()
        try:
            yield
        finally:
            window.exclude(begin, self.memledger.sequence())

    def pytest_runtest_logreport(self, report):
        # Each test's record, from this process's tests or (xdist's controller) from a worker's.
        for key, value in report.user_properties:
            if key == _PROPERTY:
                self.records.append(json.loads(value))

    def pytest_sessionfinish(self, session):
        if not self.json_path or self.worker:
            return
        document = {"schema": "memledger.tests/1", "unavailable": self.unavailable, "repeat": self.repeat,
                    "tests": sorted(self.records, key=lambda r: r["nodeid"])}
        with open(self.json_path, "w") as file:
            json.dump(document, file, indent=2)

    def pytest_terminal_summary(self, terminalreporter):
        terminal = terminalreporter
        if not self.active:
            terminal.write_line(f"memledger: device-memory checks are off: {self.unavailable}")
            return
        if not self.records:
            return
        counts = {}
        for record in self.records:
            counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
        terminal.section("memledger", sep="-")
        said = ", ".join(f"{n} {verdict.replace('_', ' ')}" for verdict, n in sorted(counts.items()))
        runs = "" if self.repeat == 1 else f" ({self.repeat} runs each)"
        terminal.write_line(f"{_count(len(self.records), 'test')}{runs}: {said}")
        unchecked = [r for r in self.records if r["verdict"] == "unchecked" and r["messages"]]
        for record in unchecked[:5]:
            terminal.write_line(f"not checked: {record['nodeid']}: {record['messages'][0]}")
        if len(unchecked) > 5:
            terminal.write_line(f"not checked: {len(unchecked) - 5} more, for the same reasons")
        peaks = sorted(((p["above_begin"], p["type"], p["device"], r["nodeid"])
                        for r in self.records for p in r.get("peaks", ()) if p["above_begin"] > 0), reverse=True)
        if peaks:
            terminal.write_line("highest device peaks above a test's start:")
            for above, type_, device, nodeid in peaks[:5]:
                terminal.write_line(f"  {format_bytes(above):>10}  {type_} device {device}  {nodeid}")
        leaking = [r for r in self.records if r["verdict"] in ("leak", "growth", "allowed")]
        if leaking:
            terminal.write_line("device memory left live:")
            for record in sorted(leaking, key=lambda r: r["nodeid"]):
                leaks = record["leaks"]
                terminal.write_line(f"  {record['nodeid']} ({record['verdict']}): "
                                    f"{_count(leaks['buffers'], 'buffer')}, {format_bytes(leaks['bytes'])}")
                for site in leaks["sites"]:
                    terminal.write_line(f"    {format_bytes(site['bytes'])} in {_count(site['buffers'], 'buffer')}: "
                                        f"{site['headline'] or '(no stack)'}")
        if self.mode == "warn":
            warned = [r for r in self.records if r["messages"] and r["verdict"] not in ("pass", "allowed")]
            for record in warned:
                terminal.write_line(f"warning: {record['nodeid']}: {record['verdict'].replace('_', ' ')}")
        if self.json_path:
            terminal.write_line(f"per-test records: {self.json_path}")


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_device_leaks(buffers, reason): the test may leave up to `buffers` "
                                       "device buffers live (memledger)")
    config.addinivalue_line("markers", "device_memory_limit(limit, type=None, device=None): the test's device "
                                       "memory peak above its start stays within `limit` (memledger)")
    if config.getoption("memledger"):
        config.pluginmanager.register(Gate(config), "memledger-gate")
