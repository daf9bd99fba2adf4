#!/usr/bin/env python3
"""impostor_server.py — another user's fake `memledger serve`, for
security_test.py: listens on a SOCK_SEQPACKET socket anyone may connect to,
answers every Hello "accepted" (keeping the ring it was handed, never draining
it), and writes one line per Hello to a log: what a victim would have handed
over. Prints "ready" once it listens; runs until killed.

usage: impostor_server.py SOCKET LOG
"""
import os
import socket
import struct
import sys

WELCOME_MAGIC = 0x454D4F434C454C4D  # "MLELCOME", wire_protocol.h
PROTOCOL_VERSION = 2


def main():
    path, log = sys.argv[1], sys.argv[2]
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(64)
    print("ready", flush=True)
    kept = []  # connections and rings, held open
    while True:
        conn, _ = server.accept()
        kept.append(conn)
        message, ancillary, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(4 * 4))
        fds = []
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.extend(struct.unpack(f"{len(data) // 4}i", data[:len(data) - len(data) % 4]))
        kept.extend(fds)
        with open(log, "a") as out:
            out.write(f"message of {len(message)} bytes with {len(fds)} fds\n")
        conn.send(struct.pack("<QII112s", WELCOME_MAGIC, PROTOCOL_VERSION, 0, b""))


if __name__ == "__main__":
    main()
