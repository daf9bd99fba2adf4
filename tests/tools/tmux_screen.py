"""tmux_screen.py — a program in a real terminal for the tests of `memledger
top` and `memledger status`: a tmux server of the test's own, a session
started at a size, resized, sent keys, its screen read and waited for (a
condition, never a duration), and the server killed at the end.

tmux clips what it shows to the pane, so a line drawn too wide looks no
wider than the pane: a test checks a layout by its right-most and lowest
elements being there whole."""
import os
import subprocess
import time


class Terminal:
    def __init__(self, name):
        self.tmux = ["tmux", "-L", f"memledger-{name}-{os.getpid()}", "-f", "/dev/null"]

    def start(self, command, width, height, session="main"):
        """`command` (a shell line, or a list of words) in a new session `width` x `height`."""
        words = [command] if isinstance(command, str) else list(command)
        # The server stays up with no session (exit-empty off): a session
        # started right after the last one was killed would otherwise race
        # the server's exit ("server exited unexpectedly").
        subprocess.run(self.tmux + ["new-session", "-d", "-s", session, "-x", str(width), "-y", str(height), *words,
                                    ";", "set-option", "-g", "exit-empty", "off"], check=True)

    def capture(self, session="main"):
        return subprocess.run(self.tmux + ["capture-pane", "-p", "-t", session], capture_output=True,
                              text=True).stdout

    def wait(self, predicate, seconds=60, session="main"):
        """The screen once `predicate(screen)` holds; after `seconds` (a hang bound), the last screen."""
        deadline = time.monotonic() + seconds
        while True:
            screen = self.capture(session)
            if predicate(screen) or time.monotonic() > deadline:
                return screen
            time.sleep(0.1)

    def keys(self, *keys, session="main"):
        subprocess.run(self.tmux + ["send-keys", "-t", session, *keys], check=True)

    def resize(self, width, height, session="main"):
        subprocess.run(self.tmux + ["resize-window", "-t", session, "-x", str(width), "-y", str(height)], check=True)

    def running(self, session="main"):
        return subprocess.run(self.tmux + ["has-session", "-t", session], capture_output=True).returncode == 0

    def kill(self, session="main"):
        subprocess.run(self.tmux + ["kill-session", "-t", session], check=True)

    def close(self):
        subprocess.run(self.tmux + ["kill-server"], capture_output=True)
