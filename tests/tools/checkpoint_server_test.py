#!/usr/bin/env python3
"""checkpoint_server_test.py — checkpoints in server mode (issue 17): a real
`memledger serve` answers a tracked process's checkpoint queries from its
books of that process (src/server/checkpoint_answer.h), and a hostile peer's
checkpoint queries get a refusal or "unknown", never another process's
buffers.

1. checkpoint_api_test — every C ABI case, four threads querying at once,
   sites symbolized by the server — passes with its ring handed to the
   server, and the server's books show it as a client.
2. Raw peers: a checkpoint query of another size is refused (version
   mismatch), one with 9 excluded ranges or unknown flags too (bad message);
   a well-formed one from a process the server holds no books of is
   answered "unknown" (status -2) — the server answers for the asking pid
   (SO_PEERCRED) only, and no field of the query names another.
3. The server still answers its summary after all that.

usage: checkpoint_server_test.py BIN_DIR CHECKPOINT_API_TEST
"""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile

from checks import Checker, clean_env
from server_process import start_server, status, stop_all

QUERY_MAGIC = 0x5952455551444C4D    # "MLDQUERY", wire_protocol.h
WELCOME_MAGIC = 0x454D4F434C454C4D  # "MLELCOME"
PROTOCOL_VERSION = 3
CHECKPOINT_KIND = 3
WELCOME_SIZE = 128


def checkpoint_query(checkpoint=1, flags=0, max_sites=10, excludes=(), exclude_count=None):
    """A CheckpointQueryMessage (168 bytes): the QueryMessage, the question, 8 ranges."""
    ranges = list(excludes) + [(0, 0)] * (8 - len(excludes))
    count = len(excludes) if exclude_count is None else exclude_count
    return struct.pack("<QII" + "QIIII" + "QQ" * 8, QUERY_MAGIC, PROTOCOL_VERSION, CHECKPOINT_KIND, checkpoint, flags,
                       max_sites, count, 0, *[x for pair in ranges[:8] for x in pair])


def ask(path, message):
    """Sends `message`; ("welcome", status, reason) for a refusal, ("answer", text) for an answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as peer:
        peer.settimeout(30)
        peer.connect(path)
        peer.send(message)
        first = peer.recv(65536)
        if len(first) == WELCOME_SIZE and struct.unpack_from("<Q", first)[0] == WELCOME_MAGIC:
            _, _, welcome_status = struct.unpack_from("<QII", first)
            return ("welcome", welcome_status, first[16:].split(b"\0")[0].decode())
        (length,) = struct.unpack("<Q", first)
        text = b""
        while len(text) < length:
            text += peer.recv(65536)
        return ("answer", text.decode())


def main():
    bin_dir, api_test = sys.argv[1], sys.argv[2]
    check = Checker()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "memledger.sock")
        try:
            start_server(bin_dir, path)
            env = clean_env(MEMLEDGER="1", MEMLEDGER_STACKS="1", MEMLEDGER_SOCKET=path, MEMLEDGER_REPORT="0")
            run = subprocess.run([api_test], env=env, capture_output=True, text=True, timeout=600)
            check.true("checkpoint_api_test passes under the server", run.returncode == 0, run.stdout + run.stderr)
            summary = status(bin_dir, path)
            comms = [p["comm"] for p in summary["processes"]]
            check.true("the server's books hold it (its ring went to the server)",
                       any(comm.startswith("checkpoint_api") for comm in comms), json.dumps(comms))

            got = ask(path, checkpoint_query()[:-8])
            check.expect("a query of another size: version mismatch", got[:2], ("welcome", 1))
            check.true("the refusal names both sizes", "16-byte Query; 168 for kind 3" in got[2], got[2])
            got = ask(path, checkpoint_query(excludes=[(1, 2)] * 8, exclude_count=9))
            check.expect("9 excluded ranges: bad message", got[:2], ("welcome", 3))
            got = ask(path, checkpoint_query(flags=0x80))
            check.expect("unknown flags: bad message", got[:2], ("welcome", 3))
            got = ask(path, checkpoint_query(checkpoint=1))
            check.expect("a pid without books: answered", got[0], "answer")
            header = got[1].split("\n", 1)[0] if got[0] == "answer" else ""
            check.expect("... unknown, nothing counted", header, "memledger.checkpoint-reply/1 -2 0 0 0 0")
            check.true("... saying whose books it looked for", f"no running books of pid {os.getpid()}" in got[1],
                       got[1])
            check.true("the server still answers its summary", "processes" in status(bin_dir, path))
        finally:
            stop_all()
    return check.exit_status()


if __name__ == "__main__":
    sys.exit(main())
