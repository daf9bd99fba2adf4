#!/usr/bin/env python3
"""status_test.py — `memledger status` on a real server with real tracked
processes (memledger-sim llm: one on two devices, one whose command line
holds a terminal escape and a byte that is not UTF-8, one that exited with
leaks):

1. the title and server line in correct plurals;
2. each device's memory types in the text report's order (that of its
   status --json: summary_view.h), not the JSON's alphabetical one;
3. a row per process and device it uses, with its state, what it holds there
   (the row's total is the process's bytes on that device in --json) and its
   command line whole (stdout not a terminal: no width to fit), made
   printable; an exited process: its row without a device, its leaks;
4. in a real 70-column terminal (tmux) the same rows, columns dropped
   (uid and events first), each command cut to fit.

No assertion on time: every wait is for what the books or the screen show.

usage: status_test.py BIN_DIR
"""
import os
import re
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from screen_reading import counted, lines_of, report_order, shows_command, table
from server_process import own, start_server, status, stop_all, wait_for
from tmux_screen import Terminal

HOSTILE_UID = b"chip-\x1b]0;owned\x07\xff"  # a title-setting escape, and a byte that is not UTF-8
HOSTILE_SHOWN = "chip-\\x1b]0;owned\\x07\ufffd"


def sim(bin_dir, sock, *args):
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock, MEMLEDGER_REPORT="0")
    return own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim").encode(), *args], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def status_text(bin_dir, sock):
    return subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", sock], capture_output=True,
                          timeout=120).stdout.decode()


def device_type_rows(text):
    """Per device heading: the names of its type rows, in order."""
    sections, current = {}, None
    for line in lines_of(text):
        if line.startswith("device "):
            current = sections.setdefault(line, [])
        elif current is not None and line.startswith("  ") and not line.startswith("  type "):
            current.append(line.split()[0])
        elif not line.startswith("  "):
            current = None
    return sections


def types_in_report_order(text, summary):
    headings = {d["device"]: d for d in summary["devices"]}
    sections = device_type_rows(text)
    return len(sections) == len(headings) and all(
        types == report_order(headings[int(heading.split()[1])]) for heading, types in sections.items())


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    sim_path = os.path.join(bin_dir, "memledger-sim")
    terminal = Terminal("status-test")
    with tempfile.TemporaryDirectory() as work:
        sock = os.path.join(work, "ml.sock")
        start_server(bin_dir, sock)
        try:
            leaker = sim(bin_dir, sock, b"llm", b"--devices", b"1", b"--iterations", b"20", b"--leaks", b"3",
                         b"--device-uid", b"chip-leaks")
            leaker.wait(timeout=300)
            wait_for("the leaker's end in the books",
                     lambda: any(p["pid"] == leaker.pid and p["state"] == "exited"
                                 for p in status(bin_dir, sock)["processes"]))
            two = sim(bin_dir, sock, b"llm", b"--devices", b"2", b"--iterations", b"1000000", b"--device-uid", b"chip-a")
            hostile = sim(bin_dir, sock, b"llm", b"--devices", b"1", b"--iterations", b"1000000", b"--device-uid",
                          HOSTILE_UID)
            commands = {leaker.pid: f"{sim_path} llm --devices 1 --iterations 20 --leaks 3 --device-uid chip-leaks",
                        two.pid: f"{sim_path} llm --devices 2 --iterations 1000000 --device-uid chip-a",
                        hostile.pid: f"{sim_path} llm --devices 1 --iterations 1000000 --device-uid {HOSTILE_SHOWN}"}

            def devices_open(summary):
                rows = {p["pid"]: p for p in summary["processes"]}
                return all(sum(d["open"] for d in rows.get(pid, {}).get("devices", [])) == n
                           for pid, n in ((two.pid, 2), (hostile.pid, 1)))
            wait_for("the devices open", lambda: devices_open(status(bin_dir, sock)))
            # Peaks only grow: the order settles. Text and books agree once it has.
            text, summary = "", {}
            for _ in range(100):
                before = status(bin_dir, sock)
                text = status_text(bin_dir, sock)
                summary = status(bin_dir, sock)
                if types_in_report_order(text, before) and types_in_report_order(text, summary):
                    break
            lines = lines_of(text)

            # 1. Plurals.
            check.true("the title: three processes, events in plural",
                       re.fullmatch(rf"memledger status — 3 processes tracked, {counted('event', 'events')}, \d+ dropped",
                                    lines[0]), text)
            check.true("the server line: clients in plural",
                       re.fullmatch(rf"server \S+: {counted('client', 'clients')}, \d+ events/s", lines[1]), text)
            # 2. Types in report order.
            check.true("each device's types in the text report's order", types_in_report_order(text, summary),
                       f"{text}\n{[report_order(d) for d in summary['devices']]}")
            # 3. A row per process and device, commands whole and printable.
            columns, rows = table(text)
            check.true("every column", columns == ["pid", "uid", "state", "device"] + columns[4:-4] +
                       ["total", "leaked", "events", "command"], text)
            by_pid = {p["pid"]: p for p in summary["processes"]}
            # A state may change between the queries around the text (a
            # process the server stalled took its ring back): either is right.
            states_around = {p["pid"]: {p["state"]} for p in before["processes"]}
            for p in summary["processes"]:
                states_around.setdefault(p["pid"], set()).add(p["state"])
            for pid, command in commands.items():
                mine = [r for r in rows if int(r["pid"]) == pid]
                books = by_pid[pid]
                devices = sorted(str(d["device"]) for d in books["devices"]) or ["-"]
                check.true(f"pid {pid}: a row per device it uses ({devices})",
                           sorted(r["device"] for r in mine) == devices, text)
                check.true(f"pid {pid}: its command line whole, printable",
                           mine and all(r["command"] == command for r in mine), f"{command}\n{text}")
                check.true(f"pid {pid}: its state", mine and all(r["state"] in states_around[pid] for r in mine),
                           f"{states_around[pid]}\n{text}")
            check.true("no escape reaches the terminal", "\x1b" not in text, repr(text))
            leaked = [r for r in rows if int(r["pid"]) == leaker.pid]
            check.true("the exited process: its leaks on its row",
                       leaked and leaked[0]["leaked"] > 0 and leaked[0]["state"] == "exited", text)
            two_rows = sorted((r for r in rows if int(r["pid"]) == two.pid), key=lambda r: r["device"])
            check.true("two devices: each row's total is the process's there",
                       len(two_rows) == 2 and all(r["total"] > 0 for r in two_rows), text)

            # 4. A 70-column terminal: the same rows, fewer columns, commands cut.
            done = os.path.join(work, "status.done")
            terminal.start(["sh", "-c", f"{os.path.join(bin_dir, 'memledger')} status --socket {sock}; touch {done}; "
                                        "exec sleep 600"], 70, 60)
            wait_for("status in the terminal", lambda: os.path.exists(done))
            screen = terminal.capture()
            columns, rows = table(screen)
            check.true("70 columns: every row", sorted(int(r["pid"]) for r in rows) ==
                       sorted([leaker.pid, hostile.pid, two.pid, two.pid]), screen)
            check.true("70 columns: pid, state, device, total, leaked, command; uid and events dropped",
                       columns == ["pid", "state", "device", "total", "leaked", "command"], screen)
            check.true("70 columns: each command cut to fit",
                       all(shows_command(r, commands[int(r["pid"])]) for r in rows), screen)
        finally:
            terminal.close()
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
