#!/usr/bin/env python3
"""ring_size_test.py — a tracked process's ring is sized by who drains it.

A process that drains its own ring (embedded mode) gets 4 MiB, faulted in
whole when it is made; one that hands its ring to a server gets 32 MiB, of
which only the first 4 MiB are faulted in up front; MEMLEDGER_RING_SIZE
decides in either mode (src/client/config.h). Each run waits at the
simulator's start gate while the test reads its ring's mapping (the memfd
named memledger-ring) from /proc/PID/smaps: its size and what is resident.

usage: ring_size_test.py BIN_DIR
"""
import argparse
import os
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import own, start_server, stop_all
from sim_gates import open_gate, wait_at_gate

KIB = 1024
MIB = 1024 * KIB
HEADER = 4 * KIB


def ring_mapping(pid):
    """(size, resident) in bytes of the process's ring mapping, from smaps."""
    with open(f"/proc/{pid}/smaps") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        if "memledger-ring" not in line.split(" ", 5)[-1]:
            continue
        start, end = (int(x, 16) for x in line.split()[0].split("-"))
        for field in lines[i + 1:]:
            if field.startswith("Rss:"):
                return end - start, int(field.split()[1]) * KIB
    return None


def gated_run(bin_dir, work, name, **settings):
    """(size, resident) of the ring of a tracked run held at its start gate."""
    gate = os.path.join(work, f"{name}.json")
    env = clean_env(MEMLEDGER="1", MEMLEDGER_REPORT="0", **settings)
    process = own(subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "llm", "--iterations", "1",
                                    "--checkpoint-truth", gate], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_at_gate(name, gate)
    mapping = ring_mapping(process.pid)
    open_gate(process)
    process.wait(timeout=120)
    return mapping


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            print("embedded mode: 4 MiB of shared slots and 8 lanes of 512 KiB; the lanes faulted in")
            mapping = gated_run(args.bin_dir, work, "embedded", MEMLEDGER_SOCKET="none")
            check.true("the ring is mapped", mapping is not None)
            if mapping:
                check.expect("ring bytes", mapping[0], HEADER + 8 * MIB)
                check.expect("resident bytes: the lanes and the first MiB of shared slots", mapping[1],
                             HEADER + 5 * MIB)

            socket = os.path.join(work, "s.sock")
            start_server(args.bin_dir, socket)
            print("server mode: 32 MiB of shared slots and 8 lanes of 4 MiB, the first 5 MiB faulted in")
            mapping = gated_run(args.bin_dir, work, "server", MEMLEDGER_SOCKET=socket)
            check.true("the ring is mapped", mapping is not None)
            if mapping:
                check.expect("ring bytes", mapping[0], HEADER + 64 * MIB)
                check.true("the first 5 MiB are resident (and a lane taken: its first MiB), not the whole ring",
                           HEADER + 5 * MIB <= mapping[1] < HEADER + 16 * MIB, f"resident {mapping[1]} bytes")

            print("MEMLEDGER_RING_SIZE decides the shared slots in either mode; the lanes follow")
            for name, settings, lanes in (("embedded-1M", {"MEMLEDGER_SOCKET": "none"}, 1 * MIB),
                                          ("server-1M", {"MEMLEDGER_SOCKET": socket}, 1 * MIB)):
                mapping = gated_run(args.bin_dir, work, name, MEMLEDGER_RING_SIZE="1M", **settings)
                check.expect(f"{name}: ring bytes", mapping[0] if mapping else None, HEADER + 1 * MIB + lanes)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
