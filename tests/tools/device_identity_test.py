#!/usr/bin/env python3
"""device_identity_test.py — devices are physical things shared by processes
(issue 12), under one server:

1. Three simulators, each with its own "device 0" and its own uid, of three
   capacities (llm's wormhole, reuse-storm's tiny L1 arena at 2 and at 4
   threads) — as CUDA processes pinned to different GPUs by
   CUDA_VISIBLE_DEVICES are each "device 0": three devices, each with its own
   name and capacity, no use over 100 %, no device_conflict; each process's
   device column names its own device.
2. One uid under two numbers (one process's device 1, another's device 0):
   one device, holding what both processes hold there (their checkpoint
   truth files say how much).
3. `memledger status` prints the uids and a device column per process.

usage: device_identity_test.py BIN_DIR
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import start_server, status, stop_all, wait_for


def sim(bin_dir, socket_path, *args):
    env = clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=socket_path, MEMLEDGER_REPORT="0")
    return subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def row(summary, pid):
    return next((p for p in summary["processes"] if p["pid"] == pid), None)


def opened(summary, pid, devices):
    """The process runs with `devices` devices open in the server's books (a storm on this small machine may
    have taken its ring back for a while: its books are then released, and go on when it hands it back)."""
    p = row(summary, pid)
    return (p is not None and p["state"] in ("running", "released") and
            sum(d["open"] for d in p["devices"]) == devices)


def by_uid(summary):
    return {d["uid"]: d for d in summary["devices"] if d["uid"] is not None}


def live(types):
    return {t: c["live_bytes"] for t, c in types.items() if c["live_bytes"]}


def three_device_zeros(check, bin_dir, socket_path, work):
    checkpoint = os.path.join(work, "llm-truth.json")
    clients = [sim(bin_dir, socket_path, "llm", "--devices", "1", "--checkpoint-truth", checkpoint, "--device-uid", "chip-a"),
               sim(bin_dir, socket_path, "reuse-storm", "--threads", "2", "--iterations", "1000000000",
                   "--device-uid", "chip-b"),
               sim(bin_dir, socket_path, "reuse-storm", "--threads", "4", "--iterations", "1000000000",
                   "--device-uid", "chip-c")]
    try:
        wait_for("three devices open", lambda: all(opened(status(bin_dir, socket_path), c.pid, 1) for c in clients))
        wait_for("the llm checkpoint", lambda: os.path.exists(checkpoint))
        summary = status(bin_dir, socket_path)
        text = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", socket_path],
                              capture_output=True, text=True, timeout=120).stdout
    finally:
        for client in clients:
            client.kill()
            client.wait()
    devices = by_uid(summary)
    check.expect("three devices, one per uid", sorted(devices), ["chip-a", "chip-b", "chip-c"])
    check.expect("no other device", len(summary["devices"]), 3)
    check.expect("each its own name", [devices[u]["name"] for u in ["chip-a", "chip-b", "chip-c"]],
                 ["sim-wormhole_b0", "sim-tiny_l1", "sim-tiny_l1"])
    l1 = [devices[u]["capacity"].get("L1") for u in ["chip-b", "chip-c"]]
    check.true(f"the two tiny arenas keep their own L1 capacities ({l1})", l1[0] is not None and l1[0] < l1[1])
    for uid, device in devices.items():
        for type_name, counters in device["types"].items():
            capacity = device["capacity"].get(type_name)
            if capacity:
                check.true(f"{uid} {type_name}: {counters['live_bytes']} live within its capacity {capacity}",
                           counters["live_bytes"] <= capacity)
        check.expect(f"{uid}: no conflicting description", device["conflicts"], 0)
    check.expect("no device_conflict", summary["anomalies"]["device_conflict"], 0)
    for client, uid in zip(clients, ["chip-a", "chip-b", "chip-c"]):
        uses = [(d["device"], d["local"]) for d in row(summary, client.pid)["devices"]]
        check.expect(f"pid {client.pid} uses its own device, its number 0", uses, [(devices[uid]["device"], 0)])
    uses = [float(p) for p in re.findall(r"(\d+\.\d)%", text)]
    check.true(f"status: no use over 100 % ({uses})", uses and max(uses) <= 100.0, text)
    for uid in ["chip-a", "chip-b", "chip-c"]:
        check.true(f"status names {uid}", f"uid {uid}" in text, text)
    check.true("status has a device column", re.search(r"^ +pid .* device .* command$", text, re.M) is not None, text)
    for client, uid in zip(clients, ["chip-a", "chip-b", "chip-c"]):
        line = next((l for l in text.splitlines() if re.match(rf"\s*{client.pid}\s", l)), "")
        check.true(f"status: pid {client.pid}'s row shows device {devices[uid]['device']}",
                   re.search(rf"\s(running|released)\s+{devices[uid]['device']}\s", line) is not None, text)


def one_uid_two_numbers(check, bin_dir, socket_path, work):
    truths = [os.path.join(work, name) for name in ("two-truth.json", "one-truth.json")]
    two = sim(bin_dir, socket_path, "llm", "--devices", "2", "--threads", "2", "--checkpoint-truth", truths[0],
              "--device-uid", "chip-x", "chip-shared")
    one = sim(bin_dir, socket_path, "llm", "--devices", "1", "--checkpoint-truth", truths[1], "--device-uid",
              "chip-shared")
    try:
        wait_for("both checkpoints", lambda: all(os.path.exists(t) for t in truths))
        held = []
        for path in truths:
            with open(path) as f:
                held.append({d["device"]: live(d["types"]) for d in json.load(f)["devices"]})
        want = {t: held[0][1].get(t, 0) + held[1][0].get(t, 0) for t in set(held[0][1]) | set(held[1][0])}

        def shared_holds_both():
            summary = status(bin_dir, socket_path)
            device = by_uid(summary).get("chip-shared")
            return device is not None and live(device["types"]) == want

        wait_for("the shared device to hold both processes' buffers", shared_holds_both)
        summary = status(bin_dir, socket_path)
    finally:
        for client in (two, one):
            client.kill()
            client.wait()
    devices = by_uid(summary)
    shared = devices["chip-shared"]
    check.expect("one device for the shared uid", [d["uid"] for d in summary["devices"]].count("chip-shared"), 1)
    check.expect("the shared device holds what both hold there", live(shared["types"]), want)
    check.expect("the first process uses both its devices",
                 [(d["device"], d["local"]) for d in row(summary, two.pid)["devices"]],
                 sorted([(devices["chip-x"]["device"], 0), (shared["device"], 1)]))
    check.expect("the second uses the shared one as its device 0",
                 [(d["device"], d["local"]) for d in row(summary, one.pid)["devices"]], [(shared["device"], 0)])
    check.expect("no device_conflict", summary["anomalies"]["device_conflict"], 0)


def main():
    bin_dir = sys.argv[1]
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            for name, part in [("three-zeros", three_device_zeros), ("two-numbers", one_uid_two_numbers)]:
                socket_path = os.path.join(work, name + ".sock")
                start_server(bin_dir, socket_path)
                part(check, bin_dir, socket_path, work)
                stop_all()
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
