#!/usr/bin/env python3
"""top_test.py — `memledger top` in a real terminal (tmux): it shows the
devices, their memory types with bars, the running client, and the counters;
keys change the sort; a resized window is redrawn within its new width (at 80x24
the process table whole, devices on a line each when rows are short); with no
server the error is said whole; q quits.

usage: top_test.py BIN_DIR
"""
import os
import subprocess
import sys
import tempfile
import time

from checks import Checker
from server_process import start_server, stop_all

TMUX = ["tmux", "-L", f"memledger-top-test-{os.getpid()}", "-f", "/dev/null"]


def capture():
    return subprocess.run(TMUX + ["capture-pane", "-p", "-t", "top"], capture_output=True, text=True).stdout


def wait_screen(predicate, seconds=15):
    deadline = time.time() + seconds
    screen = ""
    while time.time() < deadline:
        screen = capture()
        if predicate(screen):
            return screen
        time.sleep(0.1)
    return screen


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        sock = os.path.join(work, "ml.sock")
        start_server(bin_dir, sock)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEMLEDGER")}
        env.update(MEMLEDGER="1", MEMLEDGER_SOCKET=sock)
        client = subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--iterations", "1000000"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        top = f"{os.path.join(bin_dir, 'memledger')} top --socket {sock}"
        subprocess.run(TMUX + ["new-session", "-d", "-s", "top", "-x", "110", "-y", "30", top], check=True)
        try:
            screen = wait_screen(lambda s: str(client.pid) in s and "DRAM" in s)
            check.true("header", "memledger top" in screen, screen)
            check.true("a device and its name", "device 0 sim-wormhole_b0" in screen, screen)
            check.true("usage bars", "[#" in screen or "[." in screen, screen)
            check.true("the running client's row", str(client.pid) in screen and "running" in screen, screen)
            check.true("counters line", "leaks:" in screen and "anomalies:" in screen, screen)
            check.true("fits 110 columns", all(len(line) <= 110 for line in screen.splitlines()), screen)

            subprocess.run(TMUX + ["send-keys", "-t", "top", "l"], check=True)
            screen = wait_screen(lambda s: "sort: L1" in s)
            check.true("l sorts by L1", "sort: L1" in screen, screen)
            subprocess.run(TMUX + ["send-keys", "-t", "top", "p"], check=True)
            screen = wait_screen(lambda s: "sort: pid" in s)
            check.true("p sorts by pid", "sort: pid" in screen, screen)

            # A terminal's default size: every column of the process table and the keys are there.
            subprocess.run(TMUX + ["resize-window", "-t", "top", "-x", "80", "-y", "24"], check=True)
            screen = wait_screen(lambda s: "leaked" in s and "q quit" in s)
            check.true("80x24: the process table whole", "leaked" in screen and str(client.pid) in screen, screen)
            check.true("80x24: the keys said", "keys: d l p sort, q quit" in screen, screen)
            check.true("80x24: within 80 columns", all(len(line) <= 80 for line in screen.splitlines()), screen)

            subprocess.run(TMUX + ["resize-window", "-t", "top", "-x", "60", "-y", "16"], check=True)
            time.sleep(0.6)
            screen = wait_screen(lambda s: "memledger top" in s)
            lines = screen.splitlines()
            check.true("after resize: redrawn", "memledger top" in screen and "device 0" in screen, screen)
            check.true("after resize: within 60 columns", all(len(line) <= 60 for line in lines), screen)
            check.true("after resize: within 16 lines", len([l for l in lines if l.strip()]) <= 16, screen)

            subprocess.run(TMUX + ["send-keys", "-t", "top", "q"], check=True)
            deadline = time.time() + 10
            while time.time() < deadline and subprocess.run(TMUX + ["has-session", "-t", "top"],
                                                            capture_output=True).returncode == 0:
                time.sleep(0.1)
            check.true("q quits", subprocess.run(TMUX + ["has-session", "-t", "top"], capture_output=True).returncode != 0)

            # No server: why, and what to do, whole at 80 columns.
            missing = f"{os.path.join(bin_dir, 'memledger')} top --socket {os.path.join(work, 'none.sock')}"
            subprocess.run(TMUX + ["new-session", "-d", "-s", "top", "-x", "80", "-y", "24", missing], check=True)
            screen = wait_screen(lambda s: "memledger serve`" in s)
            check.true("no server: the error whole", "no memledger server answers" in screen and
                       "start one with `memledger serve`" in screen, screen)
        finally:
            subprocess.run(TMUX + ["kill-server"], capture_output=True)
            client.kill()
            client.wait()
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
