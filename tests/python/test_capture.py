"""memledger.Capture on captures of tracked Python programs: a context manager; report() is what
`memledger report --json` prints; peak() says what was live at each peak; events() reads buffer events lazily;
frames are Frame objects; tags nest into paths."""
import inspect
import json
import os
import subprocess

import pytest

import memledger

# DRAM: buffer 1 (1000 B, tag "weights", from load_weights) and buffer 2 (3000 B, tag "decode/activations",
# from decode) make the peak of 4000 B; buffer 2 is freed, buffer 4 (500 B, no tag) comes after. L1: buffer 3
# (10 B, tag "decode"). The process ends with buffers 1, 3 and 4 leaked.
SCRIPT = """
import memledger
memledger.open_device(0, name="n300")


def load_weights():
    memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0x1000, size=1000)  # line 7


@memledger.tag("decode")
def decode():
    with memledger.tag("activations"):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=2, address=0x9000, size=3000)  # line 13
    memledger.track_alloc(device=0, type="L1", buffer_id=3, address=0x100, size=10)


with memledger.tag("weights"):
    load_weights()
decode()
memledger.track_free(device=0, type="DRAM", buffer_id=2)
memledger.track_alloc(device=0, type="DRAM", buffer_id=4, address=0x9000, size=500)
"""


@pytest.fixture
def capture(tracked):
    path, _ = tracked(SCRIPT, stacks="1")
    return path


def test_report_is_what_memledger_report_json_prints(capture, memledger_cli):
    printed = subprocess.run([memledger_cli, "report", "--json", capture], capture_output=True, text=True,
                             check=True, timeout=120).stdout
    with memledger.Capture(capture) as cap:
        report = cap.report()
        assert report == json.loads(printed)
        assert {"window", "peaks", "top_sites", "growth", "capture"} <= report.keys()
        assert cap.summary() == report
        report["leaks"] = None  # a copy: the capture's own stays
        assert cap.report()["leaks"]["bytes"] == 1510


def test_peak_says_what_was_live_then(capture):
    with memledger.Capture(capture) as cap:
        peak = cap.peak()[(0, "DRAM")]
        report_peak = next(p for p in cap.report()["peaks"] if (p["device"], p["type"]) == (0, "DRAM"))
    assert peak.bytes == 4000 and sum(site.bytes for site in peak.live) == 4000
    assert [(s.tag, s.bytes, s.buffers) for s in peak.live] == [("decode/activations", 3000, 1), ("weights", 1000, 1)]
    assert [(t.tag, t.bytes, t.buffers) for t in peak.by_tag] == [("decode/activations", 3000, 1), ("weights", 1000, 1)]
    assert [s.stack[0].function for s in peak.live] == ["decode", "load_weights"]
    # as the report's peaks section shows it
    assert [(s.tag, s.bytes, s.headline) for s in peak.live] == [
        (s["tag"], s["bytes"], s["headline"]) for s in report_peak["sites"]]
    assert peak.seq == report_peak["seq"]


def test_frames_are_objects_whose_str_is_the_report_line(capture):
    with memledger.Capture(capture) as cap:
        leaks = cap.leaks()
        report_sites = cap.report()["leaks"]["sites"]
    weights = next(site for site in leaks if site.tag == "weights")
    frame = weights.stack[0]
    assert isinstance(frame, memledger.Frame)
    assert (frame.function, os.path.basename(frame.file), frame.line, frame.module) == (
        "load_weights", "script.py", 7, None)
    assert str(frame) == f"load_weights at {frame.file}:7"
    assert [[str(f) for f in site.stack] for site in leaks] == [site["stack"] for site in report_sites]


def test_tags_nest_into_paths(capture):
    with memledger.Capture(capture) as cap:
        tags = {event.buffer_id: event.tag for event in cap.events() if event.kind == "ALLOC"}
    assert memledger.TAG_SEPARATOR == "/"
    assert tags == {1: "weights", 2: "decode/activations", 3: "decode", 4: ""}


def test_tag_paths_are_per_thread(tracked):
    capture, _ = tracked("""
import threading
import memledger
memledger.open_device(0)
with memledger.tag("main"):
    thread = threading.Thread(target=lambda: memledger.track_alloc(device=0, type="DRAM", address=1, size=1))
    with memledger.tag("inner"):
        thread.start()
        thread.join()
        memledger.track_alloc(device=0, type="DRAM", address=2, size=1)
""")
    with memledger.Capture(capture) as cap:
        assert {event.address: event.tag for event in cap.events()} == {1: "", 2: "main/inner"}


def test_events_are_the_buffer_events(capture):
    with memledger.Capture(capture) as cap:
        pid = cap.report()["processes"][0]["pid"]
        events = list(cap.events())
    assert [(e.kind, e.buffer_id, e.device, e.type, e.address, e.size) for e in events] == [
        ("ALLOC", 1, 0, "DRAM", 0x1000, 1000), ("ALLOC", 2, 0, "DRAM", 0x9000, 3000), ("ALLOC", 3, 0, "L1", 0x100, 10),
        ("FREE", 2, 0, "DRAM", 0, 0), ("ALLOC", 4, 0, "DRAM", 0x9000, 500)]  # the free as hooked: no address
    assert all(isinstance(e, memledger.BufferEvent) and e.pid == pid and e.thread != 0 for e in events)
    assert all(a.seq < b.seq and a.time_ns < b.time_ns for a, b in zip(events, events[1:]))
    assert (events[1].stack[0].function, events[1].stack[0].line) == ("decode", 13)
    assert all(isinstance(f, memledger.Frame) for e in events for f in e.stack)


# About 200,000 records: several capture chunks (65,536 slots each).
MANY = """
import memledger
memledger.open_device(0)
for i in range(100_000):
    memledger.track_alloc(device=0, type="DRAM", buffer_id=i + 1, address=0x1000 * (i % 64), size=64)
    memledger.track_free(device=0, type="DRAM", buffer_id=i + 1)
"""


def test_events_are_read_as_iterated(tracked):
    capture, _ = tracked(MANY)
    with memledger.Capture(capture) as cap:
        events = cap.events()
        assert inspect.isgenerator(events)
        first = next(events)
        assert (first.kind, first.buffer_id) == ("ALLOC", 1)
        # The file is emptied under the iterator: what it had not read yet is gone. A list made at the
        # first event would still hold all 200,000.
        os.truncate(capture, 0)
        assert 1 + sum(1 for _ in events) < 200_000


# About 300,000 records, every 50,000th buffer kept, sizes and places scattered (columns compress a regular
# stream too well to fill a segment): cut into segments of 64 KiB, a run of several.
SEGMENTED = """
import random
import memledger
memledger.open_device(0, name="n300")
places = random.Random(7)
with memledger.tag("weights"):
    for i in range(1, 150_001):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=i, address=0x1000 * places.randrange(2**30),
                              size=4096)
        if i % 50_000:
            memledger.track_free(device=0, type="DRAM", buffer_id=i)
"""


def test_a_run_cut_into_segments_reads_as_one_history(tracked, tmp_path):
    tracked(SEGMENTED, env={"MEMLEDGER_OUTPUT_ROTATE_BYTES": "64K"})
    segments = sorted((str(p) for p in tmp_path.glob("run.*.mlcap")), key=lambda p: int(p.split(".")[-2]))
    assert len(segments) >= 3, segments
    with memledger.Capture(list(reversed(segments))) as cap:  # any order: read by index
        assert cap.files == tuple(segments)
        assert cap.problem is None and cap.clean_end
        assert [(leak.buffers, leak.bytes, leak.tag) for leak in cap.leaks()] == [(3, 3 * 4096, "weights")]
        events = list(cap.events())
        assert cap.report()["capture"]["files"] == segments
    # Every record once, in order, across the seams: the carried-over books at each are not events again.
    assert sum(e.kind == "ALLOC" for e in events) == 150_000
    assert sum(e.kind == "FREE" for e in events) == 150_000 - 3
    assert all(a.seq < b.seq for a, b in zip(events, events[1:]))
    assert {e.tag for e in events} == {"weights"}

    with memledger.Capture(segments[-1]) as last:  # the last alone: its books begin with what was live
        assert last.files == (segments[-1],)
        assert [(leak.buffers, leak.tag) for leak in last.leaks()] == [(3, "weights")]
        alone = list(last.events())
    assert 0 < len(alone) < len(events) and alone[-1] == events[-1]

    with pytest.raises(ValueError, match="segment 2 of the run is missing"):
        memledger.Capture([segments[0], segments[2]])


def test_capture_is_a_context_manager(capture):
    with memledger.Capture(capture) as cap:
        assert not cap.closed
        events = cap.events()
        next(events)
    assert cap.closed and "closed" in repr(cap)
    for ask in (cap.report, cap.summary, cap.leaks, cap.peak, cap.devices, lambda: next(cap.events())):
        with pytest.raises(ValueError, match="the capture is closed"):
            ask()
    with pytest.raises(ValueError, match="the capture is closed"):
        next(events)  # begun before the close
    cap.close()  # again: nothing
    with pytest.raises(ValueError, match="the capture is closed"):
        with cap:
            pass


# A device with address spaces (DRAM flat; L1 over 2 banks, CBs within it), buffers on it, and an allocation
# that fails in a Python function: the capture's failure carries its fields and that function's frame.
FAILING = """
import memledger
memledger.open_device(0, name="n300", capacity={"DRAM": 1 << 20},
                      address_spaces=[{"type": "DRAM", "base": 0, "size": 1 << 20, "alignment": 32},
                                      dict(type="L1", base=0, size=2 * 4096, banks=2, alignment=32),
                                      dict(type="CB", within="L1")])
memledger.track_alloc(device=0, type="DRAM", buffer_id=1, address=0, size=768 << 10)
memledger.track_alloc(device=0, type="L1", buffer_id=2, address=2 * 2048, size=2 * 1024)


def allocate_kv_cache(size):
    memledger.alloc_failed(device=0, type="DRAM", size=size)  # line 12


with memledger.tag("kv_cache"):
    allocate_kv_cache(512 << 10)
memledger.alloc_failed(device=0, type="L1", size=3000, extent=2 * 2048)
"""


def test_events_give_failed_allocations_with_their_python_frames(tracked):
    capture, _ = tracked(FAILING, stacks="1")
    with memledger.Capture(capture) as cap:
        pid = cap.report()["processes"][0]["pid"]
        failures = [e for e in cap.events() if e.kind == "ALLOC_FAILED"]
    assert [(e.device, e.type, e.size, e.extent, e.tag) for e in failures] == [
        (0, "DRAM", 512 << 10, 512 << 10, "kv_cache"), (0, "L1", 3000, 2 * 2048, "")]
    assert all(isinstance(e, memledger.AllocFailedEvent) and e.pid == pid and e.thread != 0 for e in failures)
    frame = failures[0].stack[0]
    assert (frame.function, frame.line, os.path.basename(frame.file)) == ("allocate_kv_cache", 12, "script.py")
    assert failures[1].stack[0].function == "<module>"
