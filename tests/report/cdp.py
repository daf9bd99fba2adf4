"""cdp.py — headless Chromium driven over the DevTools protocol, standard
library only: Chromium is started with --remote-debugging-pipe (it reads
commands on fd 3 and writes replies and events on fd 4, each message a JSON
object ended by a NUL byte); one page target, attached in flat mode.

    with Browser(chromium, width=1600, height=1000) as page:
        page.call("Page.navigate", url="file:///...")
        page.wait_event("Page.loadEventFired", timeout=30)
        page.evaluate("document.title")

Every console message, log entry, uncaught exception and dialog of the page is
kept in `page.problems` (errors and warnings alike, as text); the test decides.
"""
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class CdpError(Exception):
    pass


class Browser:
    def __init__(self, chromium, width, height):
        self.chromium = chromium
        self.width = width
        self.height = height
        self.events = []
        self.problems = []
        self._next_id = 0
        self._buffer = b""

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="memledger-chromium-")
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()

        def child_fds():  # fd 3: commands to Chromium; fd 4: its replies
            # Moved out of the way first: either pipe end may itself be fd 3 or 4.
            high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (commands_read, replies_write)]
            for target, fd in zip((3, 4), high):
                os.dup2(fd, target)  # inheritable

        self.process = subprocess.Popen(
            [self.chromium, "--headless=new", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
             "--disable-background-networking", "--disable-component-update", "--mute-audio", "--hide-scrollbars",
             f"--user-data-dir={self.profile}", f"--window-size={self.width},{self.height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            close_fds=False, preexec_fn=child_fds)
        os.close(commands_read)
        os.close(replies_write)
        target = self.call("Target.createTarget", session=False, url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", session=False, targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height, deviceScaleFactor=1,
                  mobile=False)
        return self

    def __exit__(self, *exc):
        try:
            self.call("Browser.close", session=False, timeout=10)
        except (CdpError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)
        shutil.rmtree(self.profile, ignore_errors=True)

    def call(self, method, session=True, timeout=60, **params):
        """Sends a command and returns its result; events that arrive meanwhile are kept."""
        sent = self._send(method, session, params)
        reply = self._read_until(lambda m: m.get("id") == sent, timeout, method)
        if "error" in reply:
            raise CdpError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def _send(self, method, session, params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self._commands, data):]
        return self._next_id

    def wait_event(self, method, timeout):
        for i, event in enumerate(self.events):
            if event["method"] == method:
                return self.events.pop(i)
        return self._read_until(lambda m: m.get("method") == method, timeout, method, keep=False)

    def evaluate(self, expression, timeout=60):
        """The value of a JS expression in the page (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True,
                           timeout=timeout)
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}...: {self._exception_text(result['exceptionDetails'])}")
        return result["result"].get("value")

    def _read_until(self, matches, timeout, what, keep=True):
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                self._note(message)
                if matches(message):
                    return message
                if "method" in message and keep:
                    self.events.append(message)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError(f"no answer to {what} in {timeout} s")
            ready, _, _ = select.select([self._replies], [], [], left)
            if ready:
                chunk = os.read(self._replies, 1 << 20)
                if not chunk:
                    stderr = self.process.stderr.read().decode(errors="replace")[-2000:]
                    raise CdpError(f"Chromium closed the pipe while waiting for {what}:\n{stderr}")
                self._buffer += chunk

    def _note(self, message):
        method = message.get("method")
        params = message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert", "warning"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params["args"])
            self.problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            self.problems.append(f"uncaught exception: {self._exception_text(params['exceptionDetails'])}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            self.problems.append(f"log {entry['level']} ({entry['source']}): {entry['text']}")
        elif method == "Page.javascriptDialogOpening":
            self.problems.append(f"a dialog opened: {params['type']} {params['message']!r}")
            self._send("Page.handleJavaScriptDialog", True, {"accept": True})  # its reply is not waited for

    @staticmethod
    def _exception_text(details):
        exception = details.get("exception", {})
        return exception.get("description") or details.get("text", "?")


def expect_no_page_errors(page, check):
    """Prints what the page said, and checks that none of it was an error, an
    uncaught exception or a dialog (warnings are printed only)."""
    for problem in page.problems:
        print(f"  page said: {problem}")
    errors = [p for p in page.problems if "error" in p.split(":")[0] or p.startswith(("uncaught", "a dialog"))]
    check.expect("console errors, exceptions and dialogs", errors, [])
