# The runtime's reports to memledger: every memledger call toy_ttnn makes is in this file.
# With tracking off (MEMLEDGER unset) memledger's hooks check their arguments and record nothing;
# without the memledger module at all, they are no-ops here and the runtime works the same.
import os
import re

try:
    import memledger
except ImportError:  # not on PYTHONPATH: run untracked
    memledger = None

# This package's own frames (its files, whatever the caller's paths look like): reports fold them and
# name each site by the caller's line. Only this directory: the tests beside it are callers.
PACKAGE_FRAMES = "^" + re.escape(os.path.dirname(os.path.abspath(__file__)) + os.sep)
_frames_declared = False


def open_device(device_id, *, name, capacity, address_spaces):
    global _frames_declared
    if memledger is None:
        return
    if not _frames_declared:  # once per process: memledger keeps at most 64 patterns
        memledger.skip_frames(PACKAGE_FRAMES)
        _frames_declared = True
    memledger.open_device(device_id, name=name, capacity=capacity, address_spaces=address_spaces)


def close_device(device_id):
    if memledger is not None:
        memledger.close_device(device_id)


def alloc(device_id, mem_type, buffer_id, address, size):
    if memledger is not None:
        memledger.track_alloc(device=device_id, type=mem_type, buffer_id=buffer_id, address=address, size=size)


def free(device_id, mem_type, buffer_id, address):
    if memledger is not None:
        memledger.track_free(device=device_id, type=mem_type, buffer_id=buffer_id, address=address)


def alloc_failed(device_id, mem_type, size):
    if memledger is not None:
        memledger.alloc_failed(device=device_id, type=mem_type, size=size)


def cb_alloc(device_id, cb_id, address, size):
    if memledger is not None:
        memledger.track_cb_alloc(device=device_id, cb_id=cb_id, address=address, size=size)


def cb_free(device_id, cb_id, address):
    if memledger is not None:
        memledger.track_cb_free(device=device_id, cb_id=cb_id, address=address)


class _NoTag:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def tag(name):
    """memledger.tag(name), or a scope that does nothing without memledger."""
    return memledger.tag(name) if memledger is not None else _NoTag()
