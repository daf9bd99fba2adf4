#!/usr/bin/env python3
"""top_test.py — `memledger top` in a real terminal (tmux_screen.py), on a
real server with real tracked processes (memledger-sim, a device each: a
small reuse-storm, then a large llm):

1. at 200x50: the title (plurals: "1 process" while one runs), each device
   with its history sparkline beside its heading, with its scale (0 to its
   top value, the time it spans), and a bar per memory type in the text
   report's order (that of its status --json: summary_view.h); a row per
   process and device with every column and the command line (whole, or
   cut with "…", wide characters taking two columns), the counters, and
   the keys whole on the last line;
2. each sort key (m, d, l, p) is said in the title and orders the rows of
   the frame drawn by what it names;
3. at 80x24 and at 70x14 the process table keeps every row (columns are
   dropped: uid and events first), the pid, device, total and command stay,
   and the keys are whole on the last line; at 70x14 the devices are a line
   each, of whole types in report order;
4. with no server it says where it waits (the socket's path whole, however
   long), why and for how long, and --wait gives up with exit status 1; q
   quits.

No assertion on time: every wait is for what the screen shows.

usage: top_test.py BIN_DIR
"""
import os
import re
import subprocess
import sys
import tempfile
import time

from checks import Checker, clean_env
from screen_reading import BYTES, counted, lines_of, report_order, shows_command, table
from server_process import own, start_server, status, stop_all
from tmux_screen import Terminal

KEYS = "keys: m memory  d device  l leaked  p pid  q quit"
TITLE = re.compile(rf"memledger top — {counted('process', 'processes')}(, {counted('event', 'events')}, \d+ dropped)?"
                   r"   sort: (memory|device|leaked|pid)")
COUNTERS = re.compile(rf"({counted('more row', 'more rows')}   )?(failures:( \w+ \d+)+   )?leaks: {counted('buffer', 'buffers')}, {BYTES}   "
                      r"anomalies:( none|( \w+ \d+)+)")
HISTORY = re.compile(rf"device \d+ .*  live .* 0–{BYTES}, last \d+\.\d (s|min)")
# A memory type with its bar (bar_width columns), use, bytes and capacity;
# its largest free block when a device declared an address space.
TYPE_ROW = r"  (\S+) +\[[#.]{{{bar}}}\] +(?:\d+\.\d%|-) +{bytes} / (?:{bytes}|-)(?: +max free (?:{bytes}|\u2014))?"


def keys_last(screen, height):
    lines = lines_of(screen)
    return len(lines) == height and lines[-1] == KEYS


def bar_types(screen, bar):
    row = re.compile(TYPE_ROW.format(bar=bar, bytes=BYTES))
    return [m[1] for m in map(row.fullmatch, lines_of(screen)) if m]


def device_sections(screen):
    """Per device heading on `screen` (full layout): the names of its bar rows, in order."""
    sections, current = {}, None
    for line in lines_of(screen):
        if line.startswith("device "):
            current = sections.setdefault(line, [])
        elif current is not None and (m := re.match(r"  (\S+) +\[", line)):
            current.append(m[1])
        elif not line.startswith("  "):
            current = None
    return sections


def in_report_order(sections, summary):
    """Each device's types on screen in the order its status --json gives."""
    headings = {d["device"]: d for d in summary["devices"]}
    return bool(sections) and all(
        types == report_order(headings[int(heading.split()[1])]) for heading, types in sections.items())


def sim(bin_dir, sock, *args):
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock)
    return own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    terminal = Terminal("top-test")
    sim_path = os.path.join(bin_dir, "memledger-sim")
    with tempfile.TemporaryDirectory() as work:
        sock = os.path.join(work, "ml.sock")
        start_server(bin_dir, sock)
        clients = {}
        try:
            # First a small one (KiB on device 0), then a large one (GiB on
            # device 1): by memory and by device, the rows differ in order.
            first = sim(bin_dir, sock, "reuse-storm", "--threads", "2", "--iterations", "1000000000",
                        "--device-uid", "chip-a")
            clients[first.pid] = f"{sim_path} reuse-storm --threads 2 --iterations 1000000000 --device-uid chip-a"
            terminal.start(f"{os.path.join(bin_dir, 'memledger')} top --socket {sock}", 200, 50)

            # 1. 200x50, one process.
            def whole_at_200(s):
                _, rows = table(s)
                return (TITLE.fullmatch(lines_of(s)[0]) and "1 process," in lines_of(s)[0] and keys_last(s, 50)
                        and any(r["pid"] == str(first.pid) for r in rows) and bar_types(s, 40))
            screen = terminal.wait(whole_at_200)
            lines = lines_of(screen)
            check.true("200x50: the title whole, one process", TITLE.fullmatch(lines[0]) and "1 process," in lines[0],
                       screen)
            check.true("200x50: the keys whole on the last line", keys_last(screen, 50), screen)
            headings = [line for line in lines if line.startswith("device ")]
            check.true("200x50: the device and its name", len(headings) == 1 and
                       headings[0].startswith("device 0 (sim-tiny_l1) uid chip-a  "), screen)
            check.true("200x50: the device's history beside it, with its scale",
                       len(headings) == 1 and HISTORY.fullmatch(headings[0]), screen)
            check.true("200x50: every bar row whole, bars 40 wide",
                       len(bar_types(screen, 40)) == len([line for line in lines if "[" in line]), screen)
            columns, rows = table(screen)
            check.true("200x50: every column", columns[:4] == ["pid", "uid", "state", "device"] and
                       columns[-4:] == ["total", "leaked", "events", "command"], screen)
            row = next((r for r in rows if r["pid"] == str(first.pid)), None)
            # (A storm on a loaded machine may take its ring back for a while: released.)
            check.true("200x50: the client's row: running, its device, its command line",
                       row is not None and row["state"] in ("running", "released") and row["device"] == "0" and
                       shows_command(row, clients[first.pid]), f"{clients[first.pid]}\n{screen}")
            check.true("200x50: the counters", any(COUNTERS.fullmatch(line) for line in lines), screen)

            # Its device's uid in wide characters, early in its command line: they take two columns each.
            second = sim(bin_dir, sock, "llm", "--device-uid", "芯片-b", "--devices", "1", "--iterations", "1000000")
            clients[second.pid] = f"{sim_path} llm --device-uid 芯片-b --devices 1 --iterations 1000000"
            screen = terminal.wait(lambda s: "2 processes" in lines_of(s)[0] and len(device_sections(s)) == 2)
            check.true("200x50: two processes, two devices", "2 processes" in lines_of(screen)[0] and
                       len(device_sections(screen)) == 2, screen)
            # The types in the text report's order: peaks only grow, so the
            # order settles; waits for the screen and the books to agree.
            screen = terminal.wait(lambda s: in_report_order(device_sections(s), status(bin_dir, sock)))
            check.true("200x50: memory types in the text report's order", in_report_order(device_sections(screen),
                                                                                          status(bin_dir, sock)),
                       f"{screen}\n{[report_order(d) for d in status(bin_dir, sock)['devices']]}")

            # 2. Each key: said in the title, and the rows of its frame in its order.
            orders = {"m": ("memory", lambda rows: [-r["total"] for r in rows]),
                      "d": ("device", lambda rows: [int(r["device"]) for r in rows]),
                      "l": ("leaked", lambda rows: [-r["leaked"] for r in rows]),
                      "p": ("pid", lambda rows: [int(r["pid"]) for r in rows])}
            pids_by_key = {}
            for key, (name, sort_key) in orders.items():
                terminal.keys(key)
                screen = terminal.wait(lambda s: f"sort: {name}" in lines_of(s)[0] and len(table(s)[1]) == 2)
                _, rows = table(screen)
                pids_by_key[key] = [int(r["pid"]) for r in rows]
                check.true(f"{key}: sorts by {name}, said in the title", f"sort: {name}" in lines_of(screen)[0],
                           screen)
                check.true(f"{key}: the rows in {name} order", len(rows) == 2 and sort_key(rows) == sorted(sort_key(rows)),
                           screen)

            check.expect("m: the large process first, d: device 0's first", (pids_by_key["m"], pids_by_key["d"]),
                         ([second.pid, first.pid], [first.pid, second.pid]))

            # 3. 80x24 and 70x14: columns dropped, never rows; the keys whole.
            for width, height in ((80, 24), (70, 14)):
                terminal.resize(width, height)
                # The previous frame, clipped, has neither the title first nor whole commands: waits for the redraw.
                screen = terminal.wait(lambda s: keys_last(s, height) and TITLE.fullmatch(lines_of(s)[0]) and
                                       len(table(s)[1]) == 2 and
                                       all(shows_command(r, clients[int(r["pid"])]) for r in table(s)[1]))
                lines = lines_of(screen)
                columns, rows = table(screen)
                size = f"{width}x{height}"
                check.true(f"{size}: the keys whole on the last line", keys_last(screen, height), screen)
                check.true(f"{size}: the title whole", TITLE.fullmatch(lines[0]), screen)
                check.true(f"{size}: every row of the process table", sorted(int(r["pid"]) for r in rows) ==
                           sorted(clients), screen)
                check.true(f"{size}: pid, device, total and command kept; uid and events dropped",
                           columns[0] == "pid" and "device" in columns and "total" in columns and
                           columns[-1] == "command" and "uid" not in columns and "events" not in columns, screen)
                check.true(f"{size}: each row's command line, cut to fit",
                           all(shows_command(r, clients[int(r["pid"])]) and len(r["command"]) >= 20 for r in rows),
                           screen)
                check.true(f"{size}: the counters whole", COUNTERS.fullmatch(lines[-2]), screen)
            # 70x14: a line per device, whole types in report order.
            summary = status(bin_dir, sock)
            device_lines = [line for line in lines_of(screen) if line.startswith("device ")]
            check.true("70x14: a line per device, no bars", len(device_lines) == 2 and "[" not in screen, screen)
            for line in device_lines:
                device = next(d for d in summary["devices"] if line.startswith(f"device {d['device']} "))
                shown = re.findall(r" (\S+) (?:\d+\.\d%|" + BYTES + ")", line.split(")", 1)[1])
                check.true(f"70x14: {line.split(' (')[0]}'s types whole, in report order",
                           shown and shown == report_order(device)[:len(shown)], f"{line}\n{report_order(device)}")

            terminal.keys("q")
            terminal.wait(lambda s: not terminal.running(), seconds=10)
            check.true("q quits", not terminal.running())

            # 4. No server: where it waits (a socket path longer than the
            # terminal is wide, whole over the lines it wraps to), why, what
            # to do, and for how long, at 80 columns.
            deep = os.path.join(work, "d" * (100 - len(work) - len("//none.sock")))
            os.mkdir(deep)
            none = os.path.join(deep, "none.sock")
            terminal.start(f"{os.path.join(bin_dir, 'memledger')} top --socket {none}", 80, 24)
            said = (f"memledger top: no memledger server answers at {none} (No such file or directory); start one "
                    "with `memledger serve` — waiting for a server there, asking every 100 ms until q (or --wait TIME)")
            unwrapped = lambda text: "".join(text.split())
            screen = terminal.wait(lambda s: unwrapped(said) in unwrapped(s))
            check.true("no server: where it waits, why and for how long, whole", unwrapped(said) in unwrapped(screen),
                       screen)
            check.true("no server: no line wider than the terminal", all(len(line) <= 80 for line in lines_of(screen)),
                       screen)
            terminal.kill()

            # --wait: gives up when no server answered for that long, exit status 1, the reason on stderr.
            rc, err = os.path.join(work, "top.rc"), os.path.join(work, "top.err")
            waiting = f"{os.path.join(bin_dir, 'memledger')} top --wait 0.3s --socket {none} 2>{err}; echo $? >{rc}"
            terminal.start(["sh", "-c", waiting], 80, 24)
            deadline = time.monotonic() + 60  # a hang bound
            while time.monotonic() < deadline and not (os.path.exists(rc) and open(rc).read().endswith("\n")):
                time.sleep(0.1)
            check.expect("--wait ran out: exit status", open(rc).read().strip() if os.path.exists(rc) else None, "1")
            stderr = open(err).read() if os.path.exists(err) else ""
            check.true("--wait ran out: why, on stderr, with the socket whole",
                       stderr.startswith(f"memledger top: no server answered for 0.3s (--wait): no memledger server "
                                         f"answers at {none} (No such file or directory)"), stderr)
        finally:
            terminal.close()
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
