#!/usr/bin/env python3
"""server_test.py — `memledger serve` with real processes and signals.

1. Several `memledger-sim reuse-storm` clients at once against one server
   (all connected first, waiting at their start gate, then let go together):
   `memledger status --json` shows each as exited, with leaks equal to its own
   truth file, and no dropped events or false anomalies.
2. A client killed with SIGKILL mid-run (at a checkpoint where it wrote down
   what it holds): it shows as killed, and exactly what it held is booked as
   its leaks, per device and type; the server and the others carry on.
3. The server killed under load and restarted: the client neither blocks nor
   dies; it accounts in-process meanwhile (decode steps run, up to a hold,
   before the new server starts), then hands the restarted server its ring
   with what it holds; that server's books of it are exact for everything
   allocated after the first server died, and count (not flag) the frees of
   buffers from before. Its ring holds the whole run, so no stall of a starved
   server can add handovers: the ring changes hands exactly twice.
4. `memledger status` with no server: a clear error and exit status 1.
5. Bad handshakes (wrong version, no ring fd, garbage) get a Welcome that says
   why; the server carries on.
7. `memledger serve --capture DIR`: a capture file per client process, whose
   replay (`memledger report FILE --json`) gives the server's own books of
   it — for plain clients, and for the client that came back after the server
   restart (books begun part-way, carried-over buffers, missed frees).
6. A client of the legacy tracker (v3 messages over a stream socket, sent in
   odd-sized pieces) is booked under its SO_PEERCRED pid, gets QUERY answers
   from the ledger, and its hang-up turns what it holds into its leaks
   (legacy_test.py tests the legacy listener in depth).

usage: server_test.py BIN_DIR [--clients N] [--iterations I]
"""
import argparse
import json
import os
import re
import socket as sockets
import struct
import subprocess
import sys
import tempfile
import threading
import time

from checks import Checker, check_leaks_by_device_type, clean_env
from server_process import RING_LAYOUT_VERSION, own, start_server, status, stop, stop_all, wait_for
from sim_gates import open_gate, wait_at_gate


def client_env(socket, **settings):
    return clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket, **settings)


def many_clients(bin_dir, work, check, clients, iterations):
    print(f"{clients} clients at once")
    socket = os.path.join(work, "many.sock")
    server = start_server(bin_dir, socket)
    procs = []
    for i in range(clients):
        truth = os.path.join(work, f"truth-{i}.json")
        ready = os.path.join(work, f"ready-{i}.json")
        cmd = [os.path.join(bin_dir, "memledger-sim"), "reuse-storm", "--threads", "2", "--iterations",
               str(iterations), "--leaks", str(1 + i % 3), "--seed", str(i + 1), "--truth-json", truth,
               "--checkpoint-truth", ready]
        procs.append((own(subprocess.Popen(cmd, env=client_env(socket), stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True)), truth, ready))
    # Every client's handshake is done (at its start, before its gate) before
    # any produces: no Hello waits behind the others' backlogs.
    for proc, _, ready in procs:
        wait_at_gate(f"client {proc.pid}", ready)
    started = time.monotonic()
    for proc, _, _ in procs:
        open_gate(proc)
    truths = {}
    for proc, truth, _ in procs:
        _, err = proc.communicate(timeout=600)
        check.expect(f"client {proc.pid} exit status", proc.returncode, 0)
        with open(truth) as f:
            truths[proc.pid] = json.load(f)
        # One line at exit: the server's word on its leaks (exit_report.h).
        leaked = truths[proc.pid]["leaked"]["buffers"]
        said = re.fullmatch(rf"memledger: pid {proc.pid} \(memledger-sim\) exited: {leaked} buffers? leaked "
                            r"\([^)]*\), [^;]*; its books are in the server: `memledger status --socket \S+` "
                            r"shows them\n", err)
        check.true(f"client {proc.pid} says its {leaked} leaks in one line at exit", said, err)
    summary = status(bin_dir, socket)
    elapsed = time.monotonic() - started
    stop(server)
    rows = {p["pid"]: p for p in summary["processes"]}
    check.expect("every client is in the books", sorted(rows), sorted(truths))
    for pid, truth in truths.items():
        row = rows.get(pid, {})
        check.expect(f"pid {pid} state", row.get("state"), "exited")
        check.expect(f"pid {pid} leaked buffers", row.get("leaked_buffers"), truth["leaked"]["buffers"])
        check.expect(f"pid {pid} leaked bytes", row.get("leaked_bytes"), truth["leaked"]["bytes"])
    check.expect("dropped events", summary["dropped_events"], 0)
    for kind in ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events"):
        check.expect(kind, summary["anomalies"][kind], 0)
    total = sum(t["allocs"] + t["frees"] for t in truths.values())
    check.true("the server saw every alloc and free", summary["events"] >= total)
    print(f"  server: {summary['server']['events']} events from {summary['server']['clients_total']} clients "
          f"in {elapsed:.2f} s ({summary['server']['events'] / elapsed / 1e6:.1f} M events/s, clients and "
          f"server sharing the machine)")


def killed_client(bin_dir, work, check):
    print("a client killed with SIGKILL")
    socket = os.path.join(work, "kill.sock")
    captures = os.path.join(work, "kill-captures")
    os.mkdir(captures)
    server = start_server(bin_dir, socket, ["--capture", captures])
    # The victim opens device 0 first, as an LLM card; the bystander then
    # opens it as a tiny L1 arena and runs its storm while the victim holds
    # the device and after it died (the order a loaded machine once gave).
    checkpoint = os.path.join(work, "victim-truth.json")
    victim = own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--checkpoint-truth", checkpoint],
                                  env=client_env(socket), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    held = wait_at_gate("the victim", checkpoint)  # what it holds from here until it dies
    bystander_truth = os.path.join(work, "bystander-truth.json")
    bystander_ready = os.path.join(work, "bystander-ready.json")
    bystander = subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "reuse-storm", "--threads", "2",
                                  "--iterations", "300000", "--leaks", "2", "--truth-json", bystander_truth,
                                  "--checkpoint-truth", bystander_ready],
                                 env=client_env(socket), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_at_gate("the bystander", bystander_ready)
    open_gate(bystander)
    victim.kill()
    victim.wait()
    check.expect("bystander carries on", bystander.wait(timeout=600), 0)
    summary = status(bin_dir, socket)
    # As a person reads it: the conflict, and where the other description's buffers are (not in the map).
    table = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", socket], capture_output=True,
                           text=True, timeout=120).stdout
    stop(server)
    if summary["anomalies"]["device_conflict"]:
        check.true("status says the conflict and that the other description's buffers stay out of the map",
                   "described otherwise by 1 open (device_conflict): the first description stands\n"
                   "  buffers of the other descriptions stay out of its address-space maps\n" in table, table)
    rows = {p["pid"]: p for p in summary["processes"]}
    check.expect("victim state", rows.get(victim.pid, {}).get("state"), "killed")
    # Exactly what it held at the kill became its leaks, per device and type.
    check.expect("victim's leaked bytes", rows.get(victim.pid, {}).get("leaked_bytes"), held["leaked"]["bytes"])
    check.expect("victim's leaked buffers", rows.get(victim.pid, {}).get("leaked_buffers"), held["leaked"]["buffers"])
    # Its capture says so too: the server wrote the end record the victim
    # could not, so the replay is killed with the same leaks, not a process
    # running when the capture ends.
    replayed = report_json(bin_dir, capture_of(captures, victim.pid))
    for key in ("pid", "state", "events", "leaked_buffers", "leaked_bytes"):
        check.expect(f"the victim's capture: {key} replayed = the server's", replayed["processes"][0].get(key),
                     rows.get(victim.pid, {}).get(key))
    check.true("the victim's capture holds its end record", replayed["capture"]["clean_end"], replayed["capture"])
    check.expect("the victim's capture: leaked bytes = what it held", replayed["leaks"]["bytes"],
                 held["leaked"]["bytes"])
    # Device totals hold both processes' leaks: the victim's checkpoint plus the bystander's truth.
    with open(bystander_truth) as f:
        check_leaks_by_device_type(check, "", summary, (held, json.load(f)))
    check.expect("bystander state", rows.get(bystander.pid, {}).get("state"), "exited")
    check.expect("bystander leaks", rows.get(bystander.pid, {}).get("leaked_buffers"), 2)
    # The two sims describe device 0 differently (a tiny L1 arena, an LLM
    # card): whichever opened it second while the other held it is told,
    # once — unless its ring was with the process then (a starved server:
    # the server rejoins its books with the device already open); nothing
    # else is amiss: its buffers, in the address spaces it described, stay out
    # of the first opener's map (neither outside that space nor overlapping).
    check.true("the second opener's device description conflicts at most once",
               summary["anomalies"]["device_conflict"] <= 1, str(summary["anomalies"]))
    false_anomalies = {kind: n for kind, n in summary["anomalies"].items() if kind != "device_conflict" and n}
    check.expect("no false anomalies", false_anomalies, {})


def start_reading(stream):
    """Collects a child's stderr lines in a thread: (lines, thread)."""
    lines = []
    thread = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")), daemon=True)
    thread.start()
    return lines, thread




def report_json(bin_dir, capture):
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "report", capture, "--json"], capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"memledger report {capture} failed: {out.stderr}")
    return json.loads(out.stdout)


def capture_of(directory, pid):
    """The one capture file the server wrote for `pid` (COMM.PID.UNIXMS.mlcap)."""
    names = [n for n in os.listdir(directory) if n.split(".")[-3:-2] == [str(pid)]]
    if len(names) != 1:
        raise RuntimeError(f"expected one capture of pid {pid} in {directory}, found {names}")
    return os.path.join(directory, names[0])


def same_books(check, what, replayed, live_row, live_anomalies):
    """A capture's replayed books of a process against the server's live row."""
    row = replayed["processes"][0]
    for key in ("pid", "uid", "state", "events", "leaked_buffers", "leaked_bytes"):
        check.expect(f"{what}: {key} replayed = the server's", row.get(key), live_row.get(key))
    check.expect(f"{what}: handover replayed = the server's", row.get("handover"), live_row.get("handover"))
    for kind, count in replayed["anomalies"].items():
        check.expect(f"{what}: {kind} replayed = the server's", count, live_anomalies.get(kind))
    check.expect(f"{what}: the capture says the server wrote it", replayed["capture"]["writer"], "server")


def captures_per_client(bin_dir, work, check):
    print("a capture file per client (serve --capture)")
    socket = os.path.join(work, "capture.sock")
    directory = os.path.join(work, "captures")
    os.mkdir(directory)
    server = start_server(bin_dir, socket, ["--capture", directory])
    clients = [subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "reuse-storm", "--threads", "2",
                                 "--iterations", "20000", "--leaks", str(3 + i)], env=client_env(socket),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for i in range(3)]
    for client in clients:
        check.expect("capture client exit status", client.wait(timeout=600), 0)
    summary = status(bin_dir, socket)
    check.expect("server exit status", stop(server), 0)
    rows = {p["pid"]: p for p in summary["processes"]}
    for i, client in enumerate(clients):
        replayed = report_json(bin_dir, capture_of(directory, client.pid))
        same_books(check, f"client {i}", replayed, rows.get(client.pid, {}),
                   {kind: 0 for kind in summary["anomalies"]})
        check.expect(f"client {i}: its leaks", replayed["processes"][0]["leaked_buffers"], 3 + i)
        check.true(f"client {i}: the capture is whole", replayed["capture"]["clean_end"])
    refused = subprocess.run([os.path.join(bin_dir, "memledger"), "serve", "--socket", socket + "2", "--capture",
                              os.path.join(work, "no-such-dir")], capture_output=True, text=True, timeout=60)
    check.expect("serve --capture into a missing directory fails", refused.returncode, 1)
    check.true("and says why", "cannot write captures into" in refused.stderr, refused.stderr)


def server_restarted(bin_dir, work, check):
    print("the server killed under load, then restarted")
    socket = os.path.join(work, "gone.sock")
    first_captures = os.path.join(work, "first-captures")
    second_captures = os.path.join(work, "second-captures")
    os.mkdir(first_captures)
    os.mkdir(second_captures)
    server = start_server(bin_dir, socket, ["--capture", first_captures])
    checkpoint = os.path.join(work, "before-truth.json")
    outage = os.path.join(work, "outage-truth.json")
    truth_path = os.path.join(work, "restart-truth.json")
    # 1,500 steps are 3.14M slots: a 512 MiB ring (8.4M) never fills, so the
    # ring changes hands only when the server dies and when it comes back.
    client = own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--iterations", "1500",
                                   "--leaks", "4", "--checkpoint-truth", checkpoint, "--hold-at-iteration", "300",
                                   "--hold-truth", outage, "--truth-json", truth_path],
                                  env=client_env(socket, MEMLEDGER_RING_SIZE="512M"), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True))
    err, reader = start_reading(client.stderr)
    before = wait_at_gate("the client", checkpoint)  # what it holds when its server dies: in no surviving books
    held_before = sum(t["live_buffers"] for d in before["devices"] for t in d["types"].values())
    # The server drains every ring before it answers: everything the client
    # published before its gate is in the books that die with the server, so
    # none of it is drained again by the client (a server still behind when
    # killed left the setup's allocations to the client's own books).
    status(bin_dir, socket)
    server.kill()
    server.wait()
    wait_for("the client to notice", lambda: any("the server went away" in line for line in err))
    open_gate(client)  # decode steps run while no server does, up to the hold
    wait_at_gate("the client's steps during the outage", outage)
    server = start_server(bin_dir, socket, ["--capture", second_captures])
    open_gate(client)  # the rest: while it hands its ring back, and after
    client.wait(timeout=600)
    reader.join(timeout=60)
    err = "".join(err)
    check.expect("client exit status across the restart", client.returncode, 0)
    check.true("client says it reconnected", "reconnected to the server" in err, err[-2000:])
    with open(truth_path) as f:
        truth = json.load(f)
    summary = status(bin_dir, socket)
    table = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", socket], capture_output=True,
                           text=True, timeout=60).stdout
    check.expect("server exit status", stop(server), 0)
    check.true("status says what the server missed", f"pid {client.pid} came back after its server went away" in table)
    rows = {p["pid"]: p for p in summary["processes"]}
    row = rows.get(client.pid, {})
    check.expect("the restarted server has the client", row.get("state"), "exited")
    check.expect("the client's uid", row.get("uid"), os.getuid())
    # Its leaks were all made after the first server died: during the outage
    # (carried over at reconnect) or after it. Exact, per buffer and byte.
    check.expect("leaked buffers after reconnect", row.get("leaked_buffers"), truth["leaked"]["buffers"])
    check.expect("leaked bytes after reconnect", row.get("leaked_bytes"), truth["leaked"]["bytes"])
    handover = row.get("handover", {})
    print(f"  held when the server died: {held_before} buffers; restarted server's books: {handover}; "
          f"leaked {row.get('leaked_buffers')} buffers = truth {truth['leaked']['buffers']}")
    check.expect("ring changed hands twice", handover.get("handovers"), 2)
    check.true("the outage's live buffers were carried over", handover.get("carried_buffers", 0) > 0)
    check.true("records accounted in the process meanwhile", handover.get("records_elsewhere", 0) > 0)
    # Every buffer held when the server died is freed later: each free is
    # missed (counted, shown), none an anomaly.
    check.expect("frees of buffers from before the outage", handover.get("missed_frees"), held_before)
    for kind in ("unknown_free", "double_free", "double_alloc", "overlap", "late_free_hook", "invalid_events"):
        check.expect(f"no {kind} across the restart", summary["anomalies"][kind], 0)
    check.expect("dropped events", summary["dropped_events"], 0)
    check.true("device names came back with the client", all(d["name"] for d in summary["devices"]))
    # The restarted server's capture replays to its books: begun part-way,
    # carried over first, the same missed frees.
    same_books(check, "resumed client's capture", report_json(bin_dir, capture_of(second_captures, client.pid)), row,
               summary["anomalies"])
    # The first server was killed: its capture of the client is cut at its last
    # flush (up to a second before), and still reports what is whole, with the
    # process running when the capture ends (it was: it carried on) and what
    # it held live then, not leaked.
    first = report_json(bin_dir, capture_of(first_captures, client.pid))
    check.expect("the killed server's capture: the process", first["processes"][0]["pid"], client.pid)
    check.expect("the killed server's capture: running when it ends", first["processes"][0]["state"], "running")
    check.true("the killed server's capture says so", first["capture"]["running_at_end"], first["capture"])
    check.expect("the killed server's capture: no leaks invented", first["leaks"]["buffers"], 0)


def no_server(bin_dir, work, check):
    print("status with no server")
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", os.path.join(work, "none.sock")],
                         capture_output=True, text=True, timeout=60)
    check.expect("exit status", out.returncode, 1)
    check.true("says no server answers", "no memledger server answers" in out.stderr)


HELLO_MAGIC = 0x4f4c4c4548444c4d
WELCOME = struct.Struct("<QII112s")


def handshake(path, payload, check, what, fds=()):
    conn = sockets.socket(sockets.AF_UNIX, sockets.SOCK_SEQPACKET)
    conn.connect(path)
    sockets.send_fds(conn, [payload], list(fds))
    conn.settimeout(10)
    reply = conn.recv(256)
    conn.close()
    if len(reply) != WELCOME.size:
        check.expect(f"{what}: reply size", len(reply), WELCOME.size)
        return None, ""
    _, _, status, reason = WELCOME.unpack(reply)
    return status, reason.split(b"\0", 1)[0].decode()


def bad_handshakes(bin_dir, work, check):
    print("bad handshakes")
    path = os.path.join(work, "hostile.sock")
    server = start_server(bin_dir, path)
    hello = struct.Struct("<QIIII32sQQQII")  # protocol 3's
    status_code, reason = handshake(path, hello.pack(HELLO_MAGIC, 99, 64, RING_LAYOUT_VERSION, 0, b"evil", 0, 0, 0, 0, 0), check,
                                    "wrong version")
    check.expect("wrong protocol version: status", status_code, 1)
    check.true("wrong protocol version: the reason names the versions", "protocol 3" in reason and "99" in reason)
    old_hello = struct.Struct("<QIIII32s")  # protocol 1's, shorter
    status_code, reason = handshake(path, old_hello.pack(HELLO_MAGIC, 1, 64, 1, 0, b"old"), check, "old client")
    check.expect("a protocol 1 client: status", status_code, 1)
    check.true("a protocol 1 client: the reason names both", "protocol 3" in reason and "sent 1" in reason)
    status_code, reason = handshake(path, hello.pack(HELLO_MAGIC, 3, 64, RING_LAYOUT_VERSION, 0, b"no fd", 0, 0, 0, 1, 0), check,
                                    "no fd")
    check.expect("no ring fd: status", status_code, 2)
    check.true("no ring fd: the reason says so", "no ring" in reason)
    not_a_ring = os.memfd_create("not-a-ring")
    status_code, reason = handshake(path, hello.pack(HELLO_MAGIC, 3, 64, RING_LAYOUT_VERSION, 1, b"resumed", 1, 0, 0, 1, 0), check,
                                    "resumed without state", fds=[not_a_ring])
    os.close(not_a_ring)
    check.expect("resumed Hello without its carried state: status", status_code, 3)
    check.true("resumed Hello without its carried state: the reason says so", "carried-over" in reason)
    status_code, _ = handshake(path, b"GET / HTTP/1.1\r\n\r\n", check, "garbage")
    check.expect("garbage: status", status_code, 3)
    summary = status(bin_dir, path)
    check.expect("the server carries on and counts the refusals", summary["server"]["rejected"], 5)
    check.expect("server exit status", stop(server), 0)


LEGACY_V3 = struct.Struct("<B3xiQB3xiQQ6Q2Q6I4I")  # 144 bytes


def legacy_message(kind, device=0, size=0, buffer_type=0, buffer_id=0, claimed_pid=4242):
    return LEGACY_V3.pack(kind, device, size, buffer_type, claimed_pid, buffer_id, 0, *([0] * 6), 0, 0,
                          *([0] * 6), *([0] * 4))


def legacy_client(bin_dir, work, check):
    print("a legacy tracker client")
    path = os.path.join(work, "native.sock")
    legacy_path = os.path.join(work, "legacy.sock")
    server = start_server(bin_dir, path, ["--legacy-socket", legacy_path, "--legacy-protocol", "v3"])
    ALLOC, FREE, QUERY, CB_ALLOC, KERNEL_LOAD = 1, 2, 3, 8, 10
    stream = b"".join([
        legacy_message(ALLOC, size=1 << 20, buffer_type=0, buffer_id=0x1000),       # DRAM
        legacy_message(ALLOC, size=4096, buffer_type=1, buffer_id=0x2000),          # L1
        legacy_message(CB_ALLOC, size=2048, buffer_id=0x3000),
        legacy_message(KERNEL_LOAD, size=8192, buffer_id=1),                        # program ids, not addresses
        legacy_message(KERNEL_LOAD, size=8192, buffer_id=2),
        legacy_message(FREE, buffer_type=1, buffer_id=0x2000, claimed_pid=0),
        legacy_message(ALLOC, size=0, buffer_id=0x4000),                           # refused: zero size
        legacy_message(QUERY, device=0),
    ])
    conn = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    conn.connect(legacy_path)
    for at in range(0, len(stream), 100):  # pieces that split messages
        conn.send(stream[at:at + 100])
        time.sleep(0.001)
    conn.settimeout(10)
    reply = b""
    while len(reply) < LEGACY_V3.size:
        reply += conn.recv(LEGACY_V3.size - len(reply))
    fields = LEGACY_V3.unpack(reply)
    check.expect("QUERY reply type", fields[0], 4)
    dram, l1, l1_small, trace, cb, kernel = fields[7:13]
    check.expect("QUERY dram_allocated", dram, 1 << 20)
    check.expect("QUERY l1_allocated (freed)", l1, 0)
    check.expect("QUERY cb_allocated", cb, 2048)
    check.expect("QUERY kernel_allocated", kernel, 16384)
    # A QUERY the decoder refuses (device out of range) still gets a reply: its sender is waiting.
    conn.send(legacy_message(QUERY, device=5000))
    reply = b""
    while len(reply) < LEGACY_V3.size:
        reply += conn.recv(LEGACY_V3.size - len(reply))
    fields = LEGACY_V3.unpack(reply)
    check.expect("refused QUERY: a RESPONSE all the same", fields[0], 4)
    check.expect("refused QUERY: zeros", fields[7:13], (0,) * 6)
    conn.close()
    time.sleep(0.2)
    summary = status(bin_dir, path)
    stop(server)
    row = next((p for p in summary["processes"] if p["pid"] == os.getpid()), {})
    check.expect("legacy client booked under its real pid, exited", row.get("state"), "exited")
    check.expect("its hang-up made its leaks", row.get("leaked_bytes"), (1 << 20) + 2048 + 16384)
    check.expect("kernels known by id do not overlap", summary["anomalies"]["overlap"], 0)
    # The zero-size ALLOC is a record its books lack; the refused QUERY was answered, and is no record.
    check.expect("the refused messages are counted", summary["lost_records"], 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=50000)
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            many_clients(args.bin_dir, work, check, args.clients, args.iterations)
            killed_client(args.bin_dir, work, check)
            server_restarted(args.bin_dir, work, check)
            captures_per_client(args.bin_dir, work, check)
            no_server(args.bin_dir, work, check)
            bad_handshakes(args.bin_dir, work, check)
            legacy_client(args.bin_dir, work, check)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
