"""checks.py — the pass/fail tally the end-to-end tests share: each check
passes or prints what failed (and a detail: a screen, a stderr), and the test
exits non-zero if any failed; the comparisons of booked leaks (in a
summary, in an exit report) with the allocator's truth files they share; and
the environment every tracked process they start begins from."""
import os
import re

# A row of the exit report's table: type, live, peak, capacity, full (peak as
# a share of capacity), allocs, frees, leaked, leaked size, the mark of the
# fullest pool, and the free space of a type with an address space.
_EXIT_REPORT_ROW = re.compile(
    r"^  (\w+) +\S+ \S+ +\S+ \S+ +(?:\S+ \S+|-) +\S+ +(\d+) +(\d+) +(\d+) +\S+ \S+(?:  \u25c0 fullest)?"
    r"(?:  \S+ \S+ (?:\(\S+ \S+ per bank\) )?free in .*)?$")


# What turns tracking on or changes it, in the shell that runs the tests (a
# developer's, following README: MEMLEDGER_STACKS=1, TT_BUFFER_DEBUG_LOG=1 ...).
_TRACKING_ALIASES = ("TT_ALLOC_TRACKING_ENABLED", "TT_BUFFER_DEBUG_LOG")


def clean_env(**settings):
    """This process's environment without any MEMLEDGER* variable or its
    aliases (TT_ALLOC_TRACKING_ENABLED, TT_BUFFER_DEBUG_LOG), plus `settings`:
    what a test's tracked process (or `memledger run`) starts from, so that
    nothing set in the caller's shell changes what the test proves."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER") and k not in _TRACKING_ALIASES}
    env.update(settings)
    return env


class Checker:
    def __init__(self):
        self.failures = 0
        self.passes = 0

    def expect(self, what, got, want):
        if got == want:
            self.passes += 1
        else:
            self.failures += 1
            print(f"  FAILED {what}: got {got}, want {want}")

    def true(self, what, cond, detail=""):
        if cond:
            self.passes += 1
        else:
            self.failures += 1
            print(f"  FAILED {what}" + (f"\n{detail}" if detail else ""))

    def exit_status(self):
        print(f"{self.passes} passed, {self.failures} failed")
        return 1 if self.failures else 0


def check_leaks_by_device_type(check, what, summary, truths):
    """The summary's leaked bytes per device and type equal the sum of the
    truth files' live bytes (what each process held when it ended)."""
    want = {}
    for truth in truths:
        for device in truth["devices"]:
            for type_name, live in device["types"].items():
                key = (device["device"], type_name)
                want[key] = want.get(key, 0) + live["live_bytes"]
    booked = {d["device"]: d["types"] for d in summary["devices"]}
    for (device, type_name), live_bytes in sorted(want.items()):
        check.expect(f"{what}device {device} {type_name} leaked bytes",
                     booked.get(device, {}).get(type_name, {}).get("leaked_bytes", 0), live_bytes)


def check_exit_report(check, what, stderr, truth):
    """The exit report (in `stderr`) of a process alone on one device: its
    allocs, frees and leaked buffers per type equal the truth's, and no anomaly."""
    rows = {m.group(1): (int(m.group(2)), int(m.group(3)), int(m.group(4)))
            for m in (_EXIT_REPORT_ROW.match(line) for line in stderr.splitlines()) if m}
    check.expect(f"{what}: allocs", sum(r[0] for r in rows.values()), truth["allocs"])
    check.expect(f"{what}: frees", sum(r[1] for r in rows.values()), truth["frees"])
    for device in truth["devices"]:
        for type_name, live in device["types"].items():
            check.expect(f"{what}: {type_name} leaked buffers", rows.get(type_name, (0, 0, 0))[2],
                         live["live_buffers"])
    check.true(f"{what}: no anomalies", "anomalies: none" in stderr, stderr[-2000:])
