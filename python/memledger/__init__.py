"""memledger — a ledger of accelerator (device) memory, from Python.

Track (with tracking on: MEMLEDGER=1, or under ``memledger run``; otherwise
every call checks its arguments and records nothing)::

    import memledger
    memledger.open_device(0, name="n300", capacity={"DRAM": 12 << 30, "L1": 1 << 20})
    with memledger.tag("kv_cache"):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=7, address=0x1000, size=4096)
    memledger.track_free(device=0, type="DRAM", buffer_id=7, address=0x1000)
    memledger.alloc_failed(device=0, type="DRAM", size=16 << 30)   # where the allocator runs out, before raising
    memledger.close_device(0)

Look::

    memledger.status()                          # a running `memledger serve`: the summary schema as a dict
    with memledger.Capture("run.mlcap") as cap: # a capture file, its books in memory until closed
        cap.report()                            # what `memledger report run.mlcap --json` prints, as a dict
        cap.leaks(), cap.peak()                 # leak sites; each peak with what was live then
        for event in cap.events(): ...          # buffer events and failed allocations, read as iterated

Gate (what a test leaves live; the pytest plugin, pytest_memledger, does it per test)::

    with memledger.checkpoint() as cp:
        run_the_test()
        leaks = cp.query()                      # .buffers, .bytes, .sites (with frames), .peaks, .text

Tags nest: inside ``tag("decode")``, ``tag("activations")`` tags "decode/activations" (TAG_SEPARATOR).

With stacks on (MEMLEDGER_STACKS=1, or set_stack_depth(n)), an allocation
made under Python code carries the Python callers' frames outer to the
native frames; leak reports name them, and captures give them as Frame
objects (function, file, line, module; str() is the report's line). See
docs/python.md.

Functions take their arguments as their docstrings' signatures say; a call
that fits them in no way raises a TypeError naming the parameters.
"""
import atexit as _atexit
import os as _os

from . import _memledger
from ._memledger import (
    alloc_failed,
    close_device,
    default_socket,
    enabled,
    flush,
    mark,
    open_device,
    register_pool,
    set_stack_depth,
    skip_frames,
    track_alloc,
    track_cb_alloc,
    track_cb_free,
    track_free,
    track_kernel_load,
    track_kernel_unload,
)
from .capture import Capture, CaptureWarning
from .checkpoint import CheckpointError, CheckpointResult, LeakGroup, PeakSince, checkpoint, sequence
from .capture_records import AllocFailedEvent, BufferEvent, Device, LeakSite, LiveSite, Peak, TagAmount
from .frames import Frame
from .server import status
from .tracking import TAG_SEPARATOR, device, tag

__all__ = [
    "TAG_SEPARATOR", "AllocFailedEvent", "BufferEvent", "Capture", "CaptureWarning", "CheckpointError",
    "CheckpointResult", "Device", "Frame", "LeakGroup", "LeakSite", "LiveSite", "Peak", "PeakSince", "TagAmount",
    "alloc_failed", "checkpoint", "close_device", "default_socket", "device", "enabled", "flush", "mark",
    "open_device", "register_pool", "sequence", "set_stack_depth", "skip_frames", "status", "tag", "track_alloc",
    "track_cb_alloc", "track_cb_free", "track_free", "track_kernel_load", "track_kernel_unload",
]

# Python frames in stacks, but for this package's own (the tag decorator's
# wrapper); none once the interpreter begins to exit.
_memledger._install_frame_provider(_os.path.dirname(_os.path.abspath(__file__)) + _os.sep)
_atexit.register(_memledger._remove_frame_provider)
