"""checks.py — the pass/fail tally the end-to-end tests share: each check
passes or prints what failed (and a detail: a screen, a stderr), and the test
exits non-zero if any failed; and the comparison of booked leaks with the
allocator's truth files they share."""


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
