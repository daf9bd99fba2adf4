#!/usr/bin/env python3
"""legacy_test.py — `memledger serve --legacy-socket` against real clients of
the tracker memledger replaces, written here in Python from its wire layouts
(shared/reference/legacy-protocol.md): each tracked client a process of its
own (`legacy_test.py --client PLAN`), the monitors this test's own sockets.

1. Killed or exited: a client SIGKILLed while it holds buffers shows as
   killed (left a zombie until the server booked it, and reaped at once);
   one that exits on its own, or closes its socket and lives on, as exited.
   What each held is its leaks.
2. The old tracker's own demo (v1, buffers numbered 1 to 16 of megabytes
   each; FREE leaves type and size 0) run clean, and killed half-way: no
   anomaly, and QUERY answers the old tracker's totals; a repeated ALLOC of
   a live address and several programs' CBs at one address likewise.
3. DEVICE_INFO_QUERY answers what a native client (memledger-sim) declared of
   its device, capacities and arch; a device that only has legacy
   allocations is "no device", and the count reaches every described device.
4. A refused message is said on the server's log at once (pid, kind, reason),
   while its sender is still connected.
5. v1, v2 and v3 clients on one socket at once, on a server told
   `--legacy-protocol v3` (the old deployment): each answered in its own
   generation, a v2 monitor included (it blocked forever before).
6. DUMP_REMAINING lists every remaining buffer (id, size, pid) on the log.
7. A monitor (queries only) is not a process in `memledger status`.
8. `serve --capture DIR`: each tracked legacy client (one that exits with
   leaks, a refused message and CBs and kernels; one SIGKILLed while it
   holds buffers) gets a capture file, a monitor none; `memledger report`
   of each file gives the books the server kept for that pid.

usage: legacy_test.py BIN_DIR [--only PART]
"""
import argparse
import json
import os
import select
import signal
import socket as sockets
import struct
import subprocess
import sys
import tempfile
import time

from checks import Checker, clean_env
from server_process import start_server, status, stop, stop_all, wait_for

MiB = 1 << 20
SIZES = {1: 72, 2: 112, 3: 144}
ALLOC, FREE, QUERY, RESPONSE, DUMP_REMAINING, DEVICE_INFO_QUERY, DEVICE_INFO_RESPONSE = 1, 2, 3, 4, 5, 6, 7
CB_ALLOC, CB_FREE, KERNEL_LOAD, KERNEL_UNLOAD = 8, 9, 10, 11
DRAM, L1 = 0, 1
HEADER = struct.Struct("<B3xiQB3xiQQ")  # type, device_id, size, buffer_type, process_id, buffer_id, timestamp


def message(gen, kind, device=0, size=0, buffer_type=0, buffer_id=0):
    """A request as the old clients build it: the header, zeros to the generation's size."""
    header = HEADER.pack(kind, device, size, buffer_type, os.getpid() if kind == ALLOC else 0, buffer_id, 0)
    return header + bytes(SIZES[gen] - HEADER.size)


def receive(conn, gen):
    """One reply of `gen`'s size, or None when none comes within 20 s (a server that waits for more bytes)."""
    conn.settimeout(20)
    reply = b""
    try:
        while len(reply) < SIZES[gen]:
            chunk = conn.recv(SIZES[gen] - len(reply))
            if not chunk:
                return None
            reply += chunk
    except sockets.timeout:
        return None
    return reply


def allocated(reply, gen):
    """The *_allocated fields of a RESPONSE: dram, l1, l1_small, trace (and cb, kernel in v3)."""
    return struct.unpack_from("<6Q" if gen == 3 else "<4Q", reply, 40)


def device_fields(reply, gen):
    """total_dram_size, total_l1_size, arch_type, num_dram_channels, dram_size_per_channel,
    l1_size_per_core, is_available, num_devices of a DEVICE_INFO_RESPONSE."""
    return struct.unpack_from("<2Q6I", reply, 72 if gen == 2 else 88)


class Monitor:
    """A query-only connection from this test's process, like the old monitor."""

    def __init__(self, path, gen):
        self.gen = gen
        self.conn = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
        self.conn.connect(path)

    def ask(self, kind, device=0):
        self.conn.sendall(message(self.gen, kind, device=device))
        return receive(self.conn, self.gen)

    def send(self, kind, device=0):
        self.conn.sendall(message(self.gen, kind, device=device))

    def close(self):
        self.conn.close()


# --- the client processes ---------------------------------------------------

def run_client(plan):
    """A tracked client: follows `plan`'s steps (see Client), then exits."""
    gen = plan["gen"]
    conn = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    conn.connect(plan["socket"])
    for step in plan["steps"]:
        what = step[0]
        if what == "send":  # one message, with one send() as the old clients do
            conn.sendall(message(gen, *step[1:]))
        elif what == "burst":  # several messages with one send()
            conn.sendall(b"".join(message(gen, *fields) for fields in step[1]))
        elif what == "sync":  # a QUERY answered: everything sent before it is booked
            conn.sendall(message(gen, QUERY))
            if receive(conn, gen) is None:
                sys.exit(5)
        elif what == "ready":
            print("ready", flush=True)
        elif what == "wait":  # until the test writes a line (or closes stdin)
            sys.stdin.readline()
        elif what == "close":  # hang up and live on
            conn.close()
        elif what == "sleep":
            time.sleep(3600)
    sys.exit(plan.get("exit", 0))


class Client:
    """`legacy_test.py --client PLAN` in a process of its own. Steps: ["send", kind, device, size,
    buffer_type, buffer_id], ["burst", [[kind, device, ...], ...]], ["sync"], ["ready"], ["wait"],
    ["close"], ["sleep"]."""

    def __init__(self, path, gen, steps, exit_status=0):
        plan = {"socket": path, "gen": gen, "steps": steps, "exit": exit_status}
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--client", json.dumps(plan)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid

    def wait_ready(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.proc.stdout], [], [], 1)
            if readable:
                line = self.proc.stdout.readline()
                if line.strip() == "ready":
                    return
                if not line:
                    break
        raise RuntimeError(f"legacy client {self.pid} did not get ready (status {self.proc.poll()})")

    def go_on(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def finish(self):
        self.proc.stdin.close()
        return self.proc.wait(timeout=120)


# --- the checks -------------------------------------------------------------

SERVER_LOGS = []


def server_log(work, path):
    """A file for the server's log, shown if the test ends in an exception."""
    log = open(os.path.join(work, os.path.basename(path) + ".log"), "w")
    SERVER_LOGS.append(log.name)
    return log


def legacy_server(bin_dir, work, name):
    """A server with a legacy listener, its log kept: (socket, legacy socket, process)."""
    path, legacy = os.path.join(work, f"{name}.sock"), os.path.join(work, f"{name}-legacy.sock")
    return path, legacy, start_server(bin_dir, path, ["--legacy-socket", legacy], stderr=server_log(work, path))


def rows_by_pid(summary):
    return {p["pid"]: p for p in summary["processes"]}


def ended(bin_dir, path, pid):
    """Waits until the server has ended process `pid`'s books; returns its row."""
    row = {}

    def done():
        nonlocal row
        row = rows_by_pid(status(bin_dir, path)).get(pid, {})
        return row.get("state") not in (None, "running")
    wait_for(f"pid {pid} to end in the books", done)
    return row


def log_has(log_path, text, timeout=30):
    """Waits for `text` in the server's log; False when it does not come."""
    try:
        wait_for(f"'{text}' in the server's log", lambda: text in open(log_path).read(), timeout)
        return True
    except RuntimeError:
        return False


HOLD = [["send", ALLOC, 0, MiB, DRAM, 0x100000], ["send", ALLOC, 0, 4096, L1, 0x2000], ["sync"]]
HELD = MiB + 4096


def holding():
    """A client's steps: 1 MiB of DRAM and 4 KiB of L1 booked, then ready, waiting for the test."""
    return HOLD + [["ready"], ["wait"]]


def killed_or_exited(bin_dir, work, check):
    print("killed or exited")
    path, legacy, server = legacy_server(bin_dir, work, "kill")
    # SIGKILLed, and left a zombie until the server has booked it: /proc says how it died.
    zombie = Client(legacy, 3, HOLD + [["ready"], ["sleep"]])
    zombie.wait_ready()
    os.kill(zombie.pid, signal.SIGKILL)
    row = ended(bin_dir, path, zombie.pid)
    zombie.proc.wait()
    check.expect("a SIGKILLed client (a zombie while booked) is killed", row.get("state"), "killed")
    check.expect("what it held is its leaks", row.get("leaked_bytes"), HELD)
    # SIGKILLed and reaped at once: only a pidfd remembers (Linux 6.15 and later).
    reaped = Client(legacy, 3, HOLD + [["ready"], ["sleep"]])
    reaped.wait_ready()
    reaped.proc.kill()
    reaped.proc.wait()
    row = ended(bin_dir, path, reaped.pid)
    if tuple(int(x) for x in os.uname().release.split(".")[:2] if x.isdigit()) >= (6, 15):
        check.expect("a SIGKILLed client reaped at once is killed", row.get("state"), "killed")
    else:
        print("  (kernel before 6.15: how a reaped process died is not kept; not checked)")
    # Exits on its own (status 3) without freeing: exited, with leaks.
    leaver = Client(legacy, 3, holding(), exit_status=3)
    leaver.wait_ready()
    check.expect("the leaver's own exit status", leaver.finish(), 3)
    row = ended(bin_dir, path, leaver.pid)
    check.expect("a client that exits on its own is exited", row.get("state"), "exited")
    check.expect("its leaks", row.get("leaked_bytes"), HELD)
    # Closes its socket and lives on: exited too (the legacy protocol has no goodbye).
    closer = Client(legacy, 3, HOLD + [["close"], ["ready"], ["sleep"]])
    closer.wait_ready()
    row = ended(bin_dir, path, closer.pid)
    check.expect("a client that hangs up and lives on is exited", row.get("state"), "exited")
    closer.proc.kill()
    closer.proc.wait()
    check.expect("server exit status", stop(server), 0)


DEMO_STEPS = (  # the old tracker's allocation_client_demo: ids 1..16, not addresses
    [["send", ALLOC, 0, MiB, L1, i] for i in range(1, 5)] +
    [["send", ALLOC, 0, 25 * MiB, DRAM, i] for i in range(5, 9)] +
    [["send", ALLOC, 0, MiB, L1, i] for i in range(9, 17)] + [["sync"], ["ready"], ["wait"]])
DEMO_FREES = [["send", FREE, 0, 0, 0, i] for i in range(1, 17)] + [["sync"]]


def old_demos_run_clean(bin_dir, work, check):
    print("the old tracker's demos: its totals, no false anomaly")
    path, legacy, server = legacy_server(bin_dir, work, "demo")
    monitor = Monitor(legacy, 1)
    demo = Client(legacy, 1, DEMO_STEPS + DEMO_FREES)
    demo.wait_ready()
    reply = monitor.ask(QUERY)
    check.true("QUERY answered mid-demo", reply is not None)
    if reply:
        dram, l1, _, _ = allocated(reply, 1)
        check.expect("mid-demo DRAM (the old tracker's)", dram, 100 * MiB)
        check.expect("mid-demo L1 (the old tracker's)", l1, 12 * MiB)
    demo.go_on()
    check.expect("the demo's exit status", demo.finish(), 0)
    row = ended(bin_dir, path, demo.pid)
    check.expect("the demo freed everything", row.get("leaked_bytes"), 0)
    killed = Client(legacy, 1, DEMO_STEPS + [["sleep"]])
    killed.wait_ready()
    killed.proc.kill()
    killed.proc.wait()
    row = ended(bin_dir, path, killed.pid)
    check.expect("the demo killed half-way leaks what it held", row.get("leaked_bytes"), 112 * MiB)
    # A repeated ALLOC of a live address (its size counted once), and three programs' CBs at one L1 address.
    repeats = Client(legacy, 3, [
        ["send", ALLOC, 0, 4096, L1, 0x1000], ["send", ALLOC, 0, 4096, L1, 0x1000],
        ["send", CB_ALLOC, 0, 2048, 0, 0x40000], ["send", CB_ALLOC, 0, 4096, 0, 0x40000],
        ["send", CB_ALLOC, 0, 2048, 0, 0x40000], ["sync"], ["ready"], ["wait"],
        ["send", FREE, 0, 0, 0, 0x1000], ["send", FREE, 0, 0, 0, 0x1000],
        ["send", CB_FREE, 0, 4096, 0, 0x40000], ["send", CB_FREE, 0, 2048, 0, 0x40000],
        ["send", CB_FREE, 0, 2048, 0, 0x40000], ["sync"]])
    repeats.wait_ready()
    v3 = Monitor(legacy, 3)
    reply = v3.ask(QUERY)
    check.true("v3 QUERY answered", reply is not None)
    if reply:
        _, l1, _, _, cb, _ = allocated(reply, 3)
        check.expect("a re-reported live buffer counts once", l1, 4096)
        check.expect("each program's CB at one address counts", cb, 8192)
    repeats.go_on()
    check.expect("the repeating client's exit status", repeats.finish(), 0)
    row = ended(bin_dir, path, repeats.pid)
    check.expect("the repeating client freed everything", row.get("leaked_bytes"), 0)
    check.true("a legacy client's command line, read when its books began",
               row.get("command", "").startswith(f"{sys.executable} {os.path.abspath(__file__)} --client "),
               row.get("command"))
    summary = status(bin_dir, path)
    for kind in ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events"):
        check.expect(f"clean demos: {kind}", summary["anomalies"][kind], 0)
    monitor.close()
    v3.close()
    check.expect("server exit status", stop(server), 0)


def device_info(bin_dir, work, check):
    print("DEVICE_INFO from what a native client declared")
    path, legacy, server = legacy_server(bin_dir, work, "info")
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=path)
    sim = subprocess.run([os.path.join(bin_dir, "memledger-sim"), "llm", "--devices", "1", "--iterations", "3"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    check.expect("the native client's exit status", sim.returncode, 0)
    described = next(d for d in status(bin_dir, path)["devices"] if d["device"] == 0)
    # Device 3 has legacy allocations and no description.
    other = Client(legacy, 3, [["send", ALLOC, 3, 6 * MiB, DRAM, 0x10000], ["sync"], ["ready"], ["wait"]])
    other.wait_ready()
    for gen in (2, 3):
        monitor = Monitor(legacy, gen)
        reply = monitor.ask(DEVICE_INFO_QUERY, device=-1)
        check.true(f"v{gen} device count answered", reply is not None)
        if reply:
            check.expect(f"v{gen} device count: device 0 described", device_fields(reply, gen)[7], 1)
        reply = monitor.ask(DEVICE_INFO_QUERY, device=0)
        check.true(f"v{gen} DEVICE_INFO answered", reply is not None)
        if reply:
            dram, l1, arch, _, _, _, available, _ = device_fields(reply, gen)
            check.expect(f"v{gen} device 0 available", available, 1)
            check.expect(f"v{gen} device 0 DRAM capacity (declared)", dram, described["capacity"]["DRAM"])
            check.expect(f"v{gen} device 0 L1 capacity (declared)", l1, described["capacity"]["L1"])
            check.expect(f"v{gen} device 0 arch (Wormhole_B0, from its name)", arch, 2)
        reply = monitor.ask(DEVICE_INFO_QUERY, device=3)
        check.true(f"v{gen} DEVICE_INFO of device 3 answered", reply is not None)
        if reply:
            check.expect(f"v{gen} device 3, with allocations and no description: no device",
                         device_fields(reply, gen), (0,) * 8)
        reply = monitor.ask(QUERY, device=3)
        if reply:
            check.expect(f"v{gen} device 3's allocations still in QUERY", allocated(reply, gen)[0], 6 * MiB)
        monitor.close()
    other.go_on()
    other.finish()
    check.expect("server exit status", stop(server), 0)


def refusals_said_at_once(bin_dir, work, check):
    print("a refused message is said at once")
    path, legacy = os.path.join(work, "refuse.sock"), os.path.join(work, "refuse-legacy.sock")
    log_path = os.path.join(work, "refuse.log")
    with open(log_path, "w") as log:
        server = start_server(bin_dir, path, ["--legacy-socket", legacy], stderr=log)
    sender = Client(legacy, 3, [["send", ALLOC, 0, 0, DRAM, 0x4000], ["send", ALLOC, 0, 64, 9, 0x5000], ["sync"],
                                ["ready"], ["wait"]])
    sender.wait_ready()
    # Still connected: the log says it now, not when it hangs up.
    check.true("a zero-size ALLOC is said at once, with pid and reason",
               log_has(log_path, f"legacy pid {sender.pid}: refused ALLOC (a v3 message, device 0): allocation of size 0"))
    check.true("a bad buffer type is said at once",
               log_has(log_path, f"legacy pid {sender.pid}: refused ALLOC (a v3 message, device 0): buffer type out of range"))
    sender.go_on()
    sender.finish()
    row = ended(bin_dir, path, sender.pid)
    check.expect("the refused messages are the records its books lack", status(bin_dir, path)["lost_records"], 2)
    check.expect("its books say so", row.get("books_complete"), False)
    check.expect("server exit status", stop(server), 0)


def generations_on_one_socket(bin_dir, work, check):
    print("v1, v2 and v3 clients on one socket at once")
    path, legacy = os.path.join(work, "mixed.sock"), os.path.join(work, "mixed-legacy.sock")
    log_path = os.path.join(work, "mixed.log")
    with open(log_path, "w") as log:
        server = start_server(bin_dir, path, ["--legacy-socket", legacy, "--legacy-protocol", "v3"], stderr=log)
    clients = {}
    for gen in (1, 2, 3):  # each on a device of its own, all connected at once
        clients[gen] = Client(legacy, gen, [["send", ALLOC, gen, gen * MiB, DRAM, 0x1000],
                                            ["send", ALLOC, gen, 4096, L1, 0x9000], ["sync"], ["ready"], ["wait"]])
    for client in clients.values():
        client.wait_ready()
    for gen in (1, 2, 3):
        monitor = Monitor(legacy, gen)
        for device in (1, 2, 3):
            reply = monitor.ask(QUERY, device=device)
            check.true(f"a v{gen} monitor's QUERY of device {device} is answered in v{gen}", reply is not None)
            if reply:
                check.expect(f"v{gen} reply type", reply[0], RESPONSE)
                check.expect(f"v{gen} reply: device {device}'s DRAM", allocated(reply, gen)[0], device * MiB)
                check.expect(f"v{gen} reply: device {device}'s L1", allocated(reply, gen)[1], 4096)
        monitor.close()
    # Several messages in one write: the stream settles the connection's generation.
    bursts = {}
    for gen in (1, 2, 3):
        bursts[gen] = Client(legacy, gen, [["burst", [[ALLOC, 4 + gen, 100, DRAM, 0x10], [ALLOC, 4 + gen, 200, DRAM, 0x20],
                                                       [FREE, 4 + gen, 0, 0, 0x10]]], ["sync"], ["ready"], ["wait"]])
    monitor = Monitor(legacy, 1)
    for gen, client in bursts.items():
        client.wait_ready()
        reply = monitor.ask(QUERY, device=4 + gen)
        check.true(f"a v1 monitor's QUERY of device {4 + gen} is answered", reply is not None)
        if reply:
            check.expect(f"a v{gen} client's burst of three messages", allocated(reply, 1)[0], 200)
    monitor.close()
    for client in list(clients.values()) + list(bursts.values()):
        client.go_on()
        check.expect(f"client {client.pid} exit status", client.finish(), 0)
    summary = status(bin_dir, path)
    check.expect("nothing refused", summary["lost_records"], 0)
    check.true("nothing said on the log", "refused" not in open(log_path).read(), open(log_path).read())
    check.expect("server exit status", stop(server), 0)


def dump_lists_buffers(bin_dir, work, check):
    print("DUMP_REMAINING lists each remaining buffer")
    path, legacy = os.path.join(work, "dump.sock"), os.path.join(work, "dump-legacy.sock")
    log_path = os.path.join(work, "dump.log")
    with open(log_path, "w") as log:
        server = start_server(bin_dir, path, ["--legacy-socket", legacy], stderr=log)
    holder = Client(legacy, 3, holding() + [["send", CB_ALLOC, 0, 2048, 0, 0x40000], ["sync"], ["ready"], ["wait"]])
    holder.wait_ready()
    holder.go_on()
    holder.wait_ready()
    monitor = Monitor(legacy, 3)
    monitor.send(DUMP_REMAINING)
    check.true("the dump's heading", log_has(log_path, "DUMP_REMAINING from pid"))
    check.true("the DRAM buffer: id, size, pid", log_has(log_path, f"0x100000: {MiB} bytes, pid {holder.pid}"))
    check.true("the L1 buffer", log_has(log_path, f"0x2000: 4096 bytes, pid {holder.pid}"))
    check.true("the CB", log_has(log_path, f"0x40000: 2048 bytes, pid {holder.pid}"))
    monitor.close()
    holder.go_on()
    holder.finish()
    check.expect("server exit status", stop(server), 0)


def monitors_are_not_processes(bin_dir, work, check):
    print("a monitor is not a process")
    path, legacy, server = legacy_server(bin_dir, work, "monitor")
    tracked = Client(legacy, 2, holding())
    tracked.wait_ready()
    monitors = [Monitor(legacy, gen) for gen in (1, 2, 3)]
    for monitor in monitors:
        check.true(f"v{monitor.gen} monitor answered", monitor.ask(QUERY) is not None)
    summary = status(bin_dir, path)
    pids = [p["pid"] for p in summary["processes"]]
    check.true("the monitors (this test's pid) are no process", os.getpid() not in pids, str(pids))
    check.true("the tracked client is one", tracked.pid in pids, str(pids))
    check.expect("one legacy client connected", summary["server"]["clients"], 1)
    for monitor in monitors:
        monitor.close()
    tracked.go_on()
    tracked.finish()
    ended(bin_dir, path, tracked.pid)
    check.expect("still only the tracked client", [p["pid"] for p in status(bin_dir, path)["processes"]],
                 [tracked.pid])
    check.expect("server exit status", stop(server), 0)


BOOKS = ("uid", "comm", "state", "events", "leaked_buffers", "leaked_bytes", "devices", "books_complete")


def captured_like_native(bin_dir, work, check):
    print("serve --capture: a capture per legacy client, which replays into the server's books")
    path, legacy = os.path.join(work, "capture.sock"), os.path.join(work, "capture-legacy.sock")
    captures = os.path.join(work, "captures")
    os.mkdir(captures)
    server = start_server(bin_dir, path, ["--legacy-socket", legacy, "--capture", captures],
                          stderr=server_log(work, path))
    leaver = Client(legacy, 3, HOLD + [
        ["send", CB_ALLOC, 0, 8192, 0, 0x9000], ["send", KERNEL_LOAD, 0, 2048, 0, 0xa000],
        ["send", ALLOC, 1, 3 * MiB, DRAM, 0x300000], ["send", FREE, 1, 0, DRAM, 0x300000],
        ["send", CB_FREE, 0, 0, 0, 0x9000], ["send", ALLOC, 0, 0, DRAM, 0x4000],  # refused: size 0
        ["send", ALLOC, 0, 64, L1, 0x5000], ["sync"], ["ready"], ["wait"]], exit_status=4)
    killed = Client(legacy, 2, holding())
    leaver.wait_ready()
    killed.wait_ready()
    monitor = Monitor(legacy, 3)
    check.true("the monitor is answered", monitor.ask(QUERY) is not None)
    monitor.close()
    check.expect("the leaver's exit status", leaver.finish(), 4)
    killed.proc.kill()
    killed.proc.wait()
    rows = {pid: ended(bin_dir, path, pid) for pid in (leaver.pid, killed.pid)}
    check.expect("the killed client is killed", rows[killed.pid].get("state"), "killed")
    books = status(bin_dir, path)
    check.expect("the refused message is the one record the books lack", books["lost_records"], 1)
    check.expect("so the leaver's books are incomplete", rows[leaver.pid].get("books_complete"), False)
    files = sorted(os.listdir(captures))
    check.expect("a capture per tracked client, none for the monitor", len(files), 2)
    anomalies = {}
    for pid, row in rows.items():
        mine = [f for f in files if f".{pid}." in f]
        check.expect(f"pid {pid}: one capture", len(mine), 1)
        if len(mine) != 1:
            continue
        out = subprocess.run([os.path.join(bin_dir, "memledger"), "report", "--json", os.path.join(captures, mine[0])],
                             capture_output=True, text=True, timeout=120, env=clean_env())
        check.expect(f"pid {pid}: its capture reports", out.returncode, 0)
        if out.returncode != 0:
            print(out.stderr)
            continue
        report = json.loads(out.stdout)
        replayed = report["processes"]
        check.expect(f"pid {pid}: the capture is of that process", [p["pid"] for p in replayed], [pid])
        if replayed:
            for key in BOOKS:
                check.true(f"pid {pid}: {key} in both", key in replayed[0] and key in row)
                check.expect(f"pid {pid}: {key} as the server booked it", replayed[0].get(key), row.get(key))
        check.expect(f"pid {pid}: records lost as the server counted them", report["lost_records"],
                     1 if pid == leaver.pid else 0)
        for kind, count in report["anomalies"].items():
            anomalies[kind] = anomalies.get(kind, 0) + count
    check.expect("the captures' anomalies are the server's", anomalies, books["anomalies"])
    check.expect("server exit status", stop(server), 0)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--client":
        run_client(json.loads(sys.argv[2]))
    parts = [killed_or_exited, old_demos_run_clean, device_info, refusals_said_at_once, generations_on_one_socket,
             dump_lists_buffers, monitors_are_not_processes, captured_like_native]
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--only", choices=[part.__name__ for part in parts], help="run this part alone")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            for part in parts:
                if args.only in (None, part.__name__):
                    part(args.bin_dir, work, check)
        except Exception:
            for name in SERVER_LOGS:  # why a server went away, if one did
                with open(name, errors="replace") as log:
                    print(f"--- {name}:\n{log.read()[-4000:]}")
            raise
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
