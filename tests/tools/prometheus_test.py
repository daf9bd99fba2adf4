#!/usr/bin/env python3
"""prometheus_test.py — a real Prometheus server scrapes `memledger serve
--metrics` on loopback, and its HTTP query API returns the ledger's values:
those of a leaky client that reached the server (its events booked there, its
leaked bytes its own truth's), so that equal zeros cannot pass; and, while
failing_program.c holds its buffers, the free space of its declared L1 and
its allocation failures by verdict (issue 16).

usage: prometheus_test.py BIN_DIR PROMETHEUS FAILING_PROGRAM
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from checks import clean_env
from server_process import start_server, stop_all


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value is not None:
            return value
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def query(prometheus_port, expression):
    url = f"http://127.0.0.1:{prometheus_port}/api/v1/query?" + urllib.parse.urlencode({"query": expression})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.load(response)
    except OSError:
        return None
    results = body.get("data", {}).get("result", [])
    return float(results[0]["value"][1]) if results else None


def main():
    bin_dir = sys.argv[1]
    prometheus, failing_program = sys.argv[2:4]
    failures = passes = 0
    with tempfile.TemporaryDirectory() as work:
        sock = os.path.join(work, "ml.sock")
        metrics_port, prometheus_port = free_port(), free_port()
        scraper = None
        try:
            start_server(bin_dir, sock, ["--metrics", f"127.0.0.1:{metrics_port}"])
            truth_path = os.path.join(work, "truth.json")
            client = subprocess.Popen([os.path.join(bin_dir, "memledger-sim"), "leaky", "--leaks", "3",
                                       "--truth-json", truth_path], env=clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock),
                                      stdout=subprocess.DEVNULL)
            if client.wait(timeout=300) != 0:
                raise RuntimeError(f"the leaky client exited with status {client.returncode}")
            with open(truth_path) as f:
                truth = json.load(f)
            # Failing allocations on a device of its own, its buffers held while Prometheus scrapes.
            failing = subprocess.Popen([failing_program, "prometheus-failing-device", "hold"], text=True,
                                       env=clean_env(MEMLEDGER="1", MEMLEDGER_SOCKET=sock),
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            if failing.stdout.readline().strip() != "ready":
                raise RuntimeError("failing_program did not get ready")
            config = os.path.join(work, "prometheus.yml")
            with open(config, "w") as f:
                f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: memledger\n"
                        f"    static_configs:\n      - targets: ['127.0.0.1:{metrics_port}']\n")
            scraper = subprocess.Popen([prometheus, f"--config.file={config}", f"--storage.tsdb.path={work}/tsdb",
                                        f"--web.listen-address=127.0.0.1:{prometheus_port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            status = json.loads(subprocess.run([os.path.join(bin_dir, "memledger"), "status", "--socket", sock,
                                                "--json"], capture_output=True, text=True, check=True).stdout)
            # What Prometheus is compared with is the client's books, not an empty server's.
            row = next((p for p in status["processes"] if p["pid"] == client.pid), {})
            for what, got, want in (("the client's books on the server", row.get("state"), "exited"),
                                    ("the server booked events", status["events"] > 0, True),
                                    ("the server's leaked bytes are the client's truth", status["leaks"]["bytes"],
                                     truth["leaked"]["bytes"])):
                if got == want:
                    passes += 1
                else:
                    failures += 1
                    print(f"FAILED {what}: got {got}, want {want}")
            events = wait_for("Prometheus to scrape memledger_events_total",
                              lambda: query(prometheus_port, "memledger_events_total"), 60)
            leaked = query(prometheus_port, "sum(memledger_leaked_bytes_total)")
            up = query(prometheus_port, 'up{job="memledger"}')
            # The failing program's device: the simulated client's devices declare spaces too.
            failing_device = next(d for d in status["devices"] if d["uid"] == "prometheus-failing-device")
            l1, on = failing_device["types"]["L1"], f'device="{failing_device["device"]}"'
            by_verdict = status["allocation_failures"]["by_verdict"]
            series = {
                f'memledger_device_free_bytes{{{on},type="L1"}}': (l1["free_bytes"], 44 * 1024),
                f'memledger_device_largest_free_block_bytes{{{on},type="L1"}}': (l1["largest_free_block_bytes"],
                                                                               6 * 1024),
                'memledger_allocation_failures_total{type="L1",verdict="fragmented"}': (by_verdict["fragmented"], 1000),
                'memledger_allocation_failures_total{type="CB",verdict="cb_clash"}': (by_verdict["cb_clash"], 1),
                'memledger_allocation_failures_total{type="DRAM",verdict="exhausted"}': (by_verdict["exhausted"], 1),
            }
            checked = [("memledger_events_total", events, status["events"]),
                       ("sum(memledger_leaked_bytes_total)", leaked, status["leaks"]["bytes"]),
                       ("up", up, 1)]
            for expression, (booked, want) in series.items():
                checked.append((f"status: {expression}", booked, want))
                checked.append((expression, query(prometheus_port, expression), want))
            failing.stdin.write("done\n")
            failing.stdin.close()
            checked.append(("failing_program's exit", failing.wait(timeout=60), 0))
            for what, got, want in checked:
                if got == want:
                    passes += 1
                else:
                    failures += 1
                    print(f"FAILED {what}: Prometheus says {got}, memledger status says {want}")
            print(f"Prometheus scraped {events} events and {leaked} leaked bytes")
        finally:
            if scraper is not None:
                scraper.send_signal(signal.SIGTERM)
                scraper.wait(timeout=30)
            stop_all()
    print(f"{passes} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
