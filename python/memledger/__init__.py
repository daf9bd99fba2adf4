"""memledger — a ledger of accelerator (device) memory, from Python.

Track (with tracking on: MEMLEDGER=1, or under ``memledger run``; otherwise
every call checks its arguments and records nothing)::

    import memledger
    memledger.open_device(0, name="n300", capacity={"DRAM": 12 << 30, "L1": 1 << 20})
    with memledger.tag("kv_cache"):
        memledger.track_alloc(device=0, type="DRAM", buffer_id=7, address=0x1000, size=4096)
    memledger.track_free(device=0, type="DRAM", buffer_id=7, address=0x1000)
    memledger.close_device(0)

Look::

    memledger.status()                          # a running `memledger serve`: the summary schema as a dict
    cap = memledger.Capture("run.mlcap")        # a capture file
    cap.summary(), cap.leaks(), cap.peak()

With stacks on (MEMLEDGER_STACKS=1, or set_stack_depth(n)), an allocation
made under Python code carries the Python callers' "function at file:line"
outer to the native frames; leak reports name them. See docs/python.md.
"""
import atexit as _atexit
import os as _os

from . import _memledger
from ._memledger import (
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
from .capture import Capture, CaptureWarning, Device, LeakSite, Peak
from .server import status
from .tracking import device, tag

__all__ = [
    "Capture", "CaptureWarning", "Device", "LeakSite", "Peak", "close_device", "default_socket", "device", "enabled", "flush",
    "mark", "open_device", "register_pool", "set_stack_depth", "skip_frames", "status", "tag", "track_alloc",
    "track_cb_alloc",
    "track_cb_free", "track_free", "track_kernel_load", "track_kernel_unload",
]

# Python frames in stacks, but for this package's own (the tag decorator's
# wrapper); none once the interpreter begins to exit.
_memledger._install_frame_provider(_os.path.dirname(_os.path.abspath(__file__)) + _os.sep)
_atexit.register(_memledger._remove_frame_provider)
