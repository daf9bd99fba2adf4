#!/usr/bin/env python3
"""top_test.py — `memledger top` in a real terminal (tmux): it shows the
devices, their memory types with bars, the running client, and the counters;
keys change the sort; a resized window is redrawn within its new width (at 80x24
the process table whole, devices on a line each when rows are short); with no
server it says where it waits (the socket's path whole, however long),
why and for how long, and --wait gives up with exit status 1; q quits.

tmux clips what it shows to the pane, so a line top draws too wide looks no
wider than the pane: each layout is checked instead by its right-most and
lowest elements being there whole (the keys end exactly at the right edge, each
bar row ends with its capacity, each device line with a whole type), and a
resize is waited for by what only the new layout draws.

usage: top_test.py BIN_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from checks import Checker
from server_process import start_server, stop_all

TMUX = ["tmux", "-L", f"memledger-top-test-{os.getpid()}", "-f", "/dev/null"]


def capture():
    return subprocess.run(TMUX + ["capture-pane", "-p", "-t", "top"], capture_output=True, text=True).stdout


KEYS = "keys: d l p sort, q quit"
TABLE_HEADER = "     pid process          state    devices   device mem          L1      leaked"
BYTES = r"\d+(\.\d)? (B|KiB|MiB|GiB|TiB)"
TITLE = re.compile(r"memledger top — \d+ processes, \d+ events, \d+ dropped(   sort: (device memory|L1|pid))?")
COUNTERS = re.compile(rf"(\d+ more processes   )?leaks: \d+ buffers, {BYTES}   anomalies:( none|( \w+ \d+)+)")
# A memory type with its bar (bar_width columns), use, bytes and capacity.
TYPE_ROW = r"  \S+ +\[[#.]{{{bar}}}\] +(\d+\.\d%|-) +{bytes} / ({bytes}|-)"
# A device on one line: its heading, then whole types (use of capacity, or bytes).
DEVICE_LINE = re.compile(rf"device \d+ .*? ( \S+ (\d+\.\d%|{BYTES}))+")


def lines_of(screen):
    return screen.splitlines()


def unwrapped(text):
    """`text` without its whitespace: what a wrapped message says, wherever its lines break."""
    return "".join(text.split())


def keys_at_right_edge(screen, width):
    """The counters line drawn `width` columns wide: the keys end at its last column."""
    return any(len(line) == width and COUNTERS.fullmatch(line[:-len(KEYS)].rstrip()) and line.endswith(KEYS)
               for line in lines_of(screen))


def bar_rows(screen):
    return [line for line in lines_of(screen) if "[" in line]


def bars_whole(screen, bar):
    """Every memory type's row is there whole, with a bar `bar` columns wide."""
    rows = bar_rows(screen)
    row = re.compile(TYPE_ROW.format(bar=bar, bytes=BYTES))
    return bool(rows) and all(row.fullmatch(line) for line in rows)


def full_layout(width, bar):
    """top's layout with a bar per memory type, drawn for `width` columns."""
    return lambda s: keys_at_right_edge(s, width) and bars_whole(s, bar)


def device_lines(screen):
    return [line for line in lines_of(screen) if line.startswith("device ")]


def one_line_per_device(screen):
    """top's layout for short windows: each device on a line of whole types, no bars."""
    devices = device_lines(screen)
    return bool(devices) and not bar_rows(screen) and all(DEVICE_LINE.fullmatch(line) for line in devices)


def wait_screen(predicate, seconds=30):
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
            screen = wait_screen(lambda s: str(client.pid) in s and "DRAM" in s and full_layout(110, 40)(s))
            check.true("header", "memledger top" in screen, screen)
            check.true("a device and its name", "device 0 (sim-wormhole_b0)" in screen, screen)
            check.true("usage bars", "[#" in screen or "[." in screen, screen)
            check.true("the running client's row", str(client.pid) in screen and "running" in screen, screen)
            check.true("counters line", "leaks:" in screen and "anomalies:" in screen, screen)
            check.true("110 columns: the title whole", TITLE.fullmatch(lines_of(screen)[0]), screen)
            check.true("110 columns: the keys end at the right edge", keys_at_right_edge(screen, 110), screen)
            check.true("110 columns: every bar row whole, bars 40 wide", bars_whole(screen, 40), screen)

            subprocess.run(TMUX + ["send-keys", "-t", "top", "l"], check=True)
            screen = wait_screen(lambda s: "sort: L1" in s)
            check.true("l sorts by L1", "sort: L1" in screen, screen)
            subprocess.run(TMUX + ["send-keys", "-t", "top", "p"], check=True)
            screen = wait_screen(lambda s: "sort: pid" in s)
            check.true("p sorts by pid", "sort: pid" in screen, screen)

            # A terminal's default size: every column of the process table and the keys are there.
            # The previous frame, clipped, has neither the keys nor 30-column bars: waits for top's redraw.
            subprocess.run(TMUX + ["resize-window", "-t", "top", "-x", "80", "-y", "24"], check=True)
            screen = wait_screen(full_layout(80, 30))
            lines = lines_of(screen)
            check.true("80x24: the process table whole", TABLE_HEADER in lines and
                       any(re.fullmatch(rf" +{client.pid} memledger-sim +running .*{BYTES}", line) for line in lines),
                       screen)
            check.true("80x24: the keys said, ending at the right edge", keys_at_right_edge(screen, 80), screen)
            check.true("80x24: every bar row whole, bars 30 wide", bars_whole(screen, 30), screen)

            # Too few rows for a bar per memory type: a line per device. The
            # previous frame, clipped, has bars: waits for top's redraw.
            subprocess.run(TMUX + ["resize-window", "-t", "top", "-x", "60", "-y", "16"], check=True)
            screen = wait_screen(one_line_per_device)
            lines = lines_of(screen)
            check.true("after resize: redrawn", "memledger top" in screen and "device 0" in screen, screen)
            check.true("after resize: a line per device, of whole types", one_line_per_device(screen), screen)
            check.true("after resize: the title whole", TITLE.fullmatch(lines[0]), screen)
            # The counters are the last line top draws (the keys do not fit in 60 columns): there whole.
            check.true("after resize: the counters whole, last", COUNTERS.fullmatch(screen.rstrip().splitlines()[-1]),
                       screen)

            subprocess.run(TMUX + ["send-keys", "-t", "top", "q"], check=True)
            deadline = time.time() + 10
            while time.time() < deadline and subprocess.run(TMUX + ["has-session", "-t", "top"],
                                                            capture_output=True).returncode == 0:
                time.sleep(0.1)
            check.true("q quits", subprocess.run(TMUX + ["has-session", "-t", "top"], capture_output=True).returncode != 0)

            # No server: where it waits (a socket path longer than the
            # terminal is wide, whole over the lines it wraps to), why, what
            # to do, and for how long, at 80 columns.
            deep = os.path.join(work, "d" * (100 - len(work) - len("//none.sock")))
            os.mkdir(deep)
            none = os.path.join(deep, "none.sock")
            missing = f"{os.path.join(bin_dir, 'memledger')} top --socket {none}"
            subprocess.run(TMUX + ["new-session", "-d", "-s", "top", "-x", "80", "-y", "24", missing], check=True)
            said = (f"memledger top: no memledger server answers at {none} (No such file or directory); start one "
                    "with `memledger serve` — waiting for a server there, asking every 100 ms until q (or --wait TIME)")
            screen = wait_screen(lambda s: unwrapped(said) in unwrapped(s))
            check.true("no server: where it waits, why and for how long, whole", unwrapped(said) in unwrapped(screen),
                       screen)
            check.true("no server: no line wider than the terminal", all(len(line) <= 80 for line in lines_of(screen)),
                       screen)
            subprocess.run(TMUX + ["kill-session", "-t", "top"], check=True)

            # --wait: gives up when no server answered for that long, exit status 1, the reason on stderr.
            rc, err = os.path.join(work, "top.rc"), os.path.join(work, "top.err")
            waiting = f"{os.path.join(bin_dir, 'memledger')} top --wait 0.3s --socket {none} 2>{err}; echo $? >{rc}"
            subprocess.run(TMUX + ["new-session", "-d", "-s", "top", "-x", "80", "-y", "24", "sh", "-c", waiting],
                           check=True)
            deadline = time.time() + 60  # a hang bound
            while time.time() < deadline and not (os.path.exists(rc) and open(rc).read().endswith("\n")):
                time.sleep(0.1)
            check.expect("--wait ran out: exit status", open(rc).read().strip() if os.path.exists(rc) else None, "1")
            stderr = open(err).read() if os.path.exists(err) else ""
            check.true("--wait ran out: why, on stderr, with the socket whole",
                       stderr.startswith(f"memledger top: no server answered for 0.3s (--wait): no memledger server "
                                         f"answers at {none} (No such file or directory)"), stderr)
        finally:
            subprocess.run(TMUX + ["kill-server"], capture_output=True)
            client.kill()
            client.wait()
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
