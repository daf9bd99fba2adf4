"""checks.py — the pass/fail tally the end-to-end tests share: each check
passes or prints what failed (and a detail: a screen, a stderr), and the test
exits non-zero if any failed."""


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
