#!/usr/bin/env python3
"""sealed_ring_test.py — a client's ring cannot crash the server.

A hostile client builds a valid ring header by hand and hands it over:
1. in a memfd that is not sealed against resizing: refused with a reason that
   says so (before, it was accepted, and truncating it after the Welcome
   killed the server with SIGBUS);
2. in a regular file, not a memfd: refused;
3. in a memfd sealed as the library seals it: accepted, and truncating it
   fails (the seal holds); the server answers queries afterwards in every case.

usage: sealed_ring_test.py BIN_DIR
"""
import argparse
import fcntl
import json
import os
import socket as sockets
import struct
import subprocess
import sys
import tempfile
import time

from checks import Checker
from server_process import RING_LAYOUT_VERSION, start_server, stop, stop_all

HELLO_MAGIC = 0x4f4c4c4548444c4d
PROTOCOL_VERSION = 3
HELLO = struct.Struct("<QIIII32sQQQII")
WELCOME = struct.Struct("<QII112s")
RING_MAGIC = 0x474e49524c4d4c4d
SLOTS = 1024
LANES, LANE_SLOTS = 8, 128
RING_BYTES = 4096 + (SLOTS + LANES * LANE_SLOTS) * 64
F_ADD_SEALS, F_SEAL_SHRINK, F_SEAL_GROW = 1033, 2, 4


def ring_bytes():
    header = bytearray(4096)
    struct.pack_into("<QIIQIIQ", header, 0, RING_MAGIC, RING_LAYOUT_VERSION, 64, SLOTS, 0, os.getpid(), LANE_SLOTS)
    struct.pack_into("<Q", header, 64, 1)   # head
    struct.pack_into("<Q", header, 128, 1 << 48 | 1)  # tail: offered under epoch 1, seq 1
    struct.pack_into("<Q", header, 192, 1)  # processed
    for lane in range(LANES):
        struct.pack_into("<Q", header, 320 + 64 * lane, 1)  # the lanes' tails
    return bytes(header) + bytes(RING_BYTES - 4096)


def hand_over(path, fd):
    """Sends a Hello with `fd` as the ring; returns (status, reason, connection)."""
    conn = sockets.socket(sockets.AF_UNIX, sockets.SOCK_SEQPACKET)
    conn.connect(path)
    # Offered under epoch 1: the tail word's top 16 bits (ring_ownership.h).
    hello = HELLO.pack(HELLO_MAGIC, PROTOCOL_VERSION, 64, RING_LAYOUT_VERSION, 0, b"hostile", 0, 0, 0, 1, 0)
    sockets.send_fds(conn, [hello], [fd])
    conn.settimeout(10)
    _, _, status, reason = WELCOME.unpack(conn.recv(256))
    return status, reason.split(b"\0", 1)[0].decode(), conn


def server_alive(bin_dir, path, server, check, what):
    time.sleep(0.3)  # the server drains every millisecond: it has touched the ring by now
    check.expect(f"{what}: the server is still running", server.poll(), None)
    out = subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", path, "--json"],
                         capture_output=True, text=True, timeout=60)
    check.expect(f"{what}: the server answers a query", out.returncode, 0)
    return json.loads(out.stdout) if out.returncode == 0 else {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("bin_dir")
    args = parser.parse_args()
    check = Checker()
    with tempfile.TemporaryDirectory() as work:
        try:
            path = os.path.join(work, "sealed.sock")
            server = start_server(args.bin_dir, path)

            print("an unsealed memfd, truncated after the handshake")
            unsealed = os.memfd_create("hostile-ring", os.MFD_ALLOW_SEALING)
            os.write(unsealed, ring_bytes())
            status, reason, conn = hand_over(path, unsealed)
            check.expect("unsealed ring: refused as a bad ring", status, 2)
            check.true("unsealed ring: the reason says it must be sealed", "sealed" in reason, reason)
            os.ftruncate(unsealed, 0)  # what a hostile client does once accepted
            server_alive(args.bin_dir, path, server, check, "unsealed ring")
            conn.close()
            os.close(unsealed)

            print("a regular file")
            regular = os.open(work, os.O_TMPFILE | os.O_RDWR)
            os.write(regular, ring_bytes())
            status, reason, conn = hand_over(path, regular)
            check.expect("regular file: refused as a bad ring", status, 2)
            check.true("regular file: the reason names the memfd", "memfd" in reason, reason)
            os.ftruncate(regular, 0)
            server_alive(args.bin_dir, path, server, check, "regular file")
            conn.close()
            os.close(regular)

            print("a sealed memfd")
            sealed = os.memfd_create("sealed-ring", os.MFD_ALLOW_SEALING)
            os.write(sealed, ring_bytes())
            fcntl.fcntl(sealed, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)
            status, reason, conn = hand_over(path, sealed)
            check.expect("sealed ring: accepted", status, 0)
            try:
                os.ftruncate(sealed, 0)
                check.true("sealed ring: truncating it fails", False)
            except PermissionError:
                check.true("sealed ring: truncating it fails", True)
            summary = server_alive(args.bin_dir, path, server, check, "sealed ring")
            check.expect("sealed ring: the client is in the books",
                         [p["state"] for p in summary.get("processes", []) if p["pid"] == os.getpid()], ["running"])
            conn.close()
            os.close(sealed)
            check.expect("server exit status", stop(server), 0)
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
