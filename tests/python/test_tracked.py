"""Python programs tracked as native ones are: the exit report under MEMLEDGER=1, `memledger run -- python3`,
and Capture's summary, leaks and peak against what the program did."""
import csv
import io
import json
import os
import subprocess
import sys
import warnings

import pytest

import memledger
from conftest import clean_env

# Device 0: DRAM live 1000, 3000, 2000, then 7000 (the peak, at buffer 3's alloc), then 100 left (buffer 4,
# leaked); L1: two buffers (30 bytes, the peak) leaked under the tag "kv_cache"; a pool "scratch": 512 bytes,
# freed. Device 1 opened and closed with one CB (64 bytes) still on it: leaked at the close.
KNOWN = """
import memledger
memledger.open_device(0, name="n300", capacity={"DRAM": 1 << 30, "L1": 1 << 20})
memledger.open_device(1, name="n150")
scratch = memledger.register_pool("scratch")
memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0x1000, size=1000)
memledger.track_alloc(device=0, type="DRAM", buffer_id=2, address=0x9000, size=2000)
memledger.track_free(device=0, type="DRAM", buffer_id=1, address=0x1000)
memledger.mark("before the peak")
memledger.track_alloc(device=0, type=0, buffer_id=3, address=0x20000, size=5000)
memledger.track_free(device=0, type="DRAM", buffer_id=2)
memledger.track_free(device=0, type="DRAM", buffer_id=3)
memledger.track_alloc(device=0, type="DRAM", buffer_id=4, address=0x1000, size=100)
with memledger.tag("kv_cache"):
    memledger.track_alloc(device=0, type="L1", address=0x100, size=10)
    memledger.track_alloc(device=0, type=1, address=0x200, size=20)
memledger.track_alloc(device=0, type="scratch", buffer_id=9, address=0x0, size=512)
memledger.track_free(device=0, type=scratch, buffer_id=9)
memledger.track_cb_alloc(device=1, cb_id=1, address=0x40, size=64)
memledger.close_device(1)
print("enabled" if memledger.enabled() else "off")
"""


def types(summary, device):
    return next(d for d in summary["devices"] if d["device"] == device)["types"]


def test_exit_report_under_memledger_1(run_python):
    out = run_python(KNOWN, env={"MEMLEDGER": "1", "MEMLEDGER_SOCKET": "none"})
    assert out.stdout == "enabled\n"
    assert "(python3) exited:" in out.stderr
    assert "anomalies: none" in out.stderr
    assert "leaks: 4 buffers, 194 B in 3 sites" in out.stderr, out.stderr
    assert "tag kv_cache" in out.stderr


def test_untracked_program_prints_nothing(run_python):
    out = run_python(KNOWN)
    assert out.stdout == "off\n" and out.stderr == ""


def test_memledger_run_python(memledger_cli, tmp_path):
    script = tmp_path / "known.py"
    script.write_text(KNOWN + "raise SystemExit(3)\n")
    capture, summary_path = tmp_path / "run.mlcap", tmp_path / "summary.json"
    out = subprocess.run([memledger_cli, "run", "--output", str(capture), "--summary-json", str(summary_path), "--",
                          sys.executable, str(script)], env=clean_env(), capture_output=True, text=True, timeout=300)
    assert out.returncode == 3, out.stderr  # the program's own exit status
    assert "leaks: 4 buffers, 194 B in 3 sites" in out.stderr
    summary = json.loads(summary_path.read_text())
    assert summary["leaks"]["buffers"] == 4 and summary["leaks"]["bytes"] == 194
    assert memledger.Capture(capture).summary()["leaks"] == summary["leaks"]


def test_capture_summary_leaks_and_peak(tracked, memledger_cli):
    capture, _ = tracked(KNOWN)
    cap = memledger.Capture(capture)
    assert cap.problem is None and cap.clean_end
    summary = cap.summary()
    assert summary["schema"] == "memledger.summary/1"
    assert summary["processes"][0]["comm"] == "python3" and summary["processes"][0]["state"] == "exited"
    dram, l1, scratch = (types(summary, 0)[t] for t in ("DRAM", "L1", "scratch"))
    assert (dram["allocs"], dram["frees"], dram["peak_bytes"], dram["leaked_bytes"]) == (4, 3, 7000, 100)
    assert (l1["allocs"], l1["leaked_buffers"], l1["leaked_bytes"]) == (2, 2, 30)
    assert (scratch["allocs"], scratch["frees"], scratch["leaked_bytes"]) == (1, 1, 0)
    assert types(summary, 1)["CB"]["leaked_bytes"] == 64
    assert {d["device"]: d["name"] for d in summary["devices"]} == {0: "n300", 1: "n150"}
    assert types(summary, 0)["DRAM"]["live_bytes"] == 0  # the process ended: what it held is leaked
    assert all(n == 0 for n in summary["anomalies"].values())

    leaks = cap.leaks()
    assert [(s.device, s.type, s.tag, s.buffers, s.bytes) for s in leaks] == [
        (0, "DRAM", "", 1, 100), (1, "CB", "", 1, 64), (0, "L1", "kv_cache", 2, 30)]
    assert all(s.stack == () and s.pid == summary["processes"][0]["pid"] for s in leaks)

    peaks = cap.peak()
    assert {key: p.bytes for key, p in peaks.items()} == {
        (0, "DRAM"): 7000, (0, "L1"): 30, (0, "scratch"): 512, (1, "CB"): 64}
    # The DRAM peak was reached at buffer 3's alloc: its seq, as the CSV export numbers records.
    rows = list(csv.DictReader(io.StringIO(subprocess.run(
        [memledger_cli, "export", capture, "--format", "csv"], capture_output=True, text=True, check=True,
        timeout=120).stdout)))
    alloc_3 = next(r for r in rows if r["kind"] == "ALLOC" and r["buffer_id"] == "3")
    assert peaks[(0, "DRAM")].seq == int(alloc_3["seq"])
    assert peaks[(0, "DRAM")].time_ns == int(alloc_3["time_ns"])
    # The script's events, drained together, each have a time of their own, in seq order (drain_times.h).
    times = [int(r["time_ns"]) for r in rows]
    assert all(a < b for a, b in zip(times, times[1:])), times


# Device 1 says what it is physically; its uid reaches the books, their summary and Capture.devices().
DESCRIBED = """
import memledger
memledger.open_device(0, name="n150")
with memledger.device(1, name="n300", capacity={"DRAM": 12 << 30}, uid="chip-0x1a2b"):
    memledger.track_alloc(device=1, type="DRAM", buffer_id=1, address=0x1000, size=64)
"""


def test_a_device_uid_reaches_the_capture(tracked):
    capture, _ = tracked(DESCRIBED)
    cap = memledger.Capture(capture)
    assert cap.devices() == [memledger.Device(device=0, name="n150", uid=None, capacity={}, conflicts=0),
                             memledger.Device(device=1, name="n300", uid="chip-0x1a2b", capacity={"DRAM": 12 << 30},
                                              conflicts=0)]
    assert [(d["device"], d["uid"]) for d in cap.summary()["devices"]] == [(0, None), (1, "chip-0x1a2b")]
    assert [(s.device, s.bytes) for s in cap.leaks()] == [(1, 64)]


def test_uid_must_be_text():
    with pytest.raises(TypeError, match="uid must be a str"):
        memledger.open_device(0, uid=7)


# Without buffer ids, a DRAM and an L1 buffer at one address (normal on Tenstorrent: separate address spaces).
SAME_ADDRESS = """
import memledger
memledger.track_alloc(device=0, type="DRAM", address=0x1000, size=4096)
memledger.track_alloc(device=0, type="L1", address=0x1000, size=64)
memledger.track_free(device=0, type="L1", address=0x1000)
"""


def test_an_address_is_an_identity_only_within_its_memory_type(run_python):
    """Through the C API and the embedded consumer: two buffers, no double_alloc; the L1 free frees only the L1
    buffer, and the DRAM one is the leak."""
    out = run_python(SAME_ADDRESS, env={"MEMLEDGER": "1", "MEMLEDGER_SOCKET": "none"})
    assert "anomalies: none" in out.stderr, out.stderr
    assert "leaks: 1 buffer, 4.0 KiB in 1 site\n" in out.stderr, out.stderr
    assert "DRAM" in next(line for line in out.stderr.splitlines() if "4.0 KiB" in line and "leaks:" not in line)


THREADS = """
import sys, threading, memledger
memledger.open_device(0)
def work(t):
    with memledger.tag(f"thread{t}"):
        for i in range(2000):
            address = (t << 40) | (0x1000 * i)
            memledger.track_alloc(device=0, type="DRAM", buffer_id=(t << 32) | i, address=address, size=64)
            if i % 10:
                memledger.track_free(device=0, type="DRAM", buffer_id=(t << 32) | i, address=address)
threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
for t in threads: t.start()
for t in threads: t.join()
"""


def test_python_threads_are_exact(tracked):
    capture, _ = tracked(THREADS)
    summary = memledger.Capture(capture).summary()
    dram = types(summary, 0)["DRAM"]
    assert (dram["allocs"], dram["frees"], dram["leaked_buffers"]) == (16000, 14400, 1600)
    assert sorted(s["tag"] for s in summary["leaks"]["sites"]) == [f"thread{t}" for t in range(8)]
    assert all(n == 0 for n in summary["anomalies"].values())


# About 200,000 records: several capture chunks (65,536 slots each).
MANY = """
import memledger
memledger.open_device(0)
for i in range(100_000):
    memledger.track_alloc(device=0, type="DRAM", buffer_id=i + 1, address=0x1000 * (i % 64), size=64)
    memledger.track_free(device=0, type="DRAM", buffer_id=i + 1)
"""


def test_cut_capture_gives_what_is_whole(tracked, tmp_path):
    capture, _ = tracked(MANY)
    data = open(capture, "rb").read()
    cut = tmp_path / "cut.mlcap"
    cut.write_bytes(data[:len(data) * 2 // 3])
    with pytest.warns(memledger.CaptureWarning) as warned:
        cap = memledger.Capture(cut)
    assert cap.problem and str(cut) in str(warned[0].message) and cap.problem in str(warned[0].message)
    assert not cap.clean_end
    summary = cap.summary()
    # no end record in what is whole: running when the capture ends, what it holds live, not leaked
    assert summary["processes"][0]["state"] == "running"
    assert summary["leaks"]["buffers"] == 0 and summary["processes"][0]["leaked_buffers"] == 0
    assert 0 < types(summary, 0)["DRAM"]["allocs"] < 100_000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        whole = memledger.Capture(capture)  # a whole file: no warning
    assert whole.clean_end and types(whole.summary(), 0)["DRAM"]["allocs"] == 100_000
