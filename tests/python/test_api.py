"""The module's surface in this (untracked) process: every call checks its arguments with Python's errors
and records nothing; tags work as context managers and decorators; Capture and status() fail clearly."""
import inspect
import os

import pytest

import memledger

GOOD = dict(device=0, type="DRAM", buffer_id=1, address=0x1000, size=4096)


def test_import_and_surface():
    for name in ("open_device", "track_alloc", "track_free", "close_device", "tag", "mark", "enabled", "flush",
                 "set_stack_depth", "status", "Capture", "register_pool", "device"):
        assert hasattr(memledger, name), name
    assert memledger.track_alloc.__doc__.startswith("track_alloc(*, device: int, type: str | int")
    assert os.path.isabs(memledger.default_socket())


def test_untracked_calls_record_nothing():
    assert memledger.enabled() is False
    assert memledger.set_stack_depth(8) is None
    memledger.open_device(0, name="n300", capacity={"DRAM": 12 << 30, "L1": 1 << 20, 3: 64})
    memledger.track_alloc(**GOOD)
    memledger.track_free(device=0, type="DRAM", buffer_id=1)
    memledger.track_cb_alloc(device=0, cb_id=2, address=0x10, size=64)
    memledger.track_cb_free(device=0, cb_id=2)
    memledger.track_kernel_load(device=0, kernel_id=3, address=0, size=128)
    memledger.track_kernel_unload(device=0, kernel_id=3)
    memledger.mark("step 1")
    memledger.flush()
    memledger.close_device(0)


@pytest.mark.parametrize("bad, error, message", [
    (dict(device=-1), ValueError, "device must be between 0 and 1023, got -1"),
    (dict(device=1024), ValueError, "device must be between 0 and 1023, got 1024"),
    (dict(device="0"), TypeError, "device must be an int, not str"),
    (dict(type="DRMA"), ValueError, "unknown memory type 'DRMA': known are DRAM, L1, L1_SMALL"),
    (dict(type=64), ValueError, "type must be between 0 and 63, got 64"),
    (dict(type=True), TypeError, "type must be a memory type name (str) or number (int), not bool"),
    (dict(type=1.0), TypeError, "not float"),
    (dict(size=-5), ValueError, "size must be between 0 and 18446744073709551615, got -5"),
    (dict(size=4096.0), TypeError, "size must be an int, not float"),
    (dict(address=1 << 64), ValueError, "address must be between 0 and 18446744073709551615"),
    (dict(buffer_id=None), TypeError, "buffer_id must be an int, not NoneType"),
    (dict(buffer_id=False), TypeError, "buffer_id must be an int, not bool"),
])
def test_bad_arguments_say_what_is_wrong(bad, error, message):
    with pytest.raises(error) as raised:
        memledger.track_alloc(**dict(GOOD, **bad))
    assert message in str(raised.value)


def test_ints_and_index_types_are_accepted():
    class Index:
        def __index__(self):
            return 7
    memledger.track_alloc(device=Index(), type=0, buffer_id=Index(), address=(1 << 64) - 1, size=1)


def test_arguments_are_keywords():
    with pytest.raises(TypeError):
        memledger.track_alloc(0, "DRAM", 1, 0x1000, 4096)
    with pytest.raises(TypeError):
        memledger.track_alloc(device=0, type="DRAM", address=0x1000)  # no size


def test_open_device_checks_capacities():
    with pytest.raises(TypeError, match="capacity must be a mapping"):
        memledger.open_device(0, capacity=[("DRAM", 1)])
    with pytest.raises(ValueError, match="unknown memory type 'HBM'"):
        memledger.open_device(0, capacity={"HBM": 1})
    with pytest.raises(ValueError, match="a capacity must be between 0"):
        memledger.open_device(0, capacity={"DRAM": -1})
    with pytest.raises(TypeError, match="name must be a str"):
        memledger.open_device(0, name=5)


def test_pools_become_memory_types():
    scratch = memledger.register_pool("test_scratch")
    assert scratch >= 16
    assert memledger.register_pool("test_scratch") == scratch
    memledger.track_alloc(device=0, type="test_scratch", address=0x10, size=16)
    with pytest.raises(ValueError, match="a pool needs a name of its own"):
        memledger.register_pool("DRAM")
    with pytest.raises(ValueError, match="known are .*test_scratch"):
        memledger.track_alloc(device=0, type="test_scratch2", address=0x10, size=16)


def test_stack_depth_range():
    for bad in (-1, 65):
        with pytest.raises(ValueError, match="depth must be between 0 and 64"):
            memledger.set_stack_depth(bad)


def test_tag_as_context_manager_and_decorator():
    with memledger.tag("kv_cache") as t:
        assert t.name == "kv_cache"
        with memledger.tag("inner"):
            pass

    @memledger.tag("weights")
    def load(x, y=2):
        """Loads."""
        return x + y

    assert load(1, y=3) == 4
    assert load.__name__ == "load" and load.__doc__ == "Loads."
    assert list(inspect.signature(load).parameters) == ["x", "y"]
    with pytest.raises(TypeError, match="a tag is a str"):
        memledger.tag(3)
    with pytest.raises(TypeError, match="tag the synchronous code"):
        @memledger.tag("x")
        async def coroutine():
            pass


def test_tag_pops_on_exceptions():
    with pytest.raises(KeyError):
        with memledger.tag("failing"):
            raise KeyError("x")


def test_device_scope():
    with memledger.device(3, name="n150", capacity={"L1": 1 << 20}) as d:
        assert d == 3


def test_status_without_a_server(tmp_path):
    with pytest.raises(ConnectionError, match="no memledger server answers at .*start one with `memledger serve`"):
        memledger.status(tmp_path / "none.sock")


def test_capture_that_is_not_there_or_not_a_capture(tmp_path):
    with pytest.raises(FileNotFoundError):
        memledger.Capture(tmp_path / "missing.mlcap")
    junk = tmp_path / "junk.mlcap"
    junk.write_bytes(b"not a capture at all" * 10)
    with pytest.raises(ValueError):
        memledger.Capture(junk)
