"""The module's surface in this (untracked) process: every call checks its arguments with Python's errors
and records nothing; tags work as context managers and decorators; Capture and status() fail clearly."""
import inspect
import os

import pytest

import memledger

GOOD = dict(device=0, type="DRAM", buffer_id=1, address=0x1000, size=4096)


def test_import_and_surface():
    for name in ("open_device", "track_alloc", "track_free", "close_device", "tag", "mark", "enabled", "flush",
                 "set_stack_depth", "status", "Capture", "register_pool", "device", "alloc_failed",
                 "AllocFailedEvent"):
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
    memledger.alloc_failed(device=0, type="DRAM", size=16 << 30)
    memledger.alloc_failed(device=0, type="L1", size=4096, extent=8192)
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


@pytest.mark.parametrize("call, message", [
    (lambda: memledger.track_alloc(0, "DRAM", 1, 0x1000, 4096),
     "track_alloc() takes keyword arguments only ('device', 'type', 'buffer_id', 'address', 'size'), but 5 were "
     "given by position: call it as track_alloc(*, device: int, type: str | int, buffer_id: int = 0, address: int, "
     "size: int)"),
    (lambda: memledger.track_alloc(device=0, type="DRAM", address=0x1000),
     "track_alloc() missing required argument: 'size'"),
    (lambda: memledger.track_alloc(device=0, type="DRAM"),
     "track_alloc() missing required arguments: 'address', 'size'"),
    (lambda: memledger.track_free(device=0, type="DRAM", buffer=1),
     "track_free() got an unexpected keyword argument 'buffer'; its parameters are 'device', 'type', 'buffer_id', "
     "'address'"),
    (lambda: memledger.open_device(0, "n300"),
     "open_device() takes 1 positional argument ('device') but 2 were given: call it as open_device(device: int, *, "),
    (lambda: memledger.open_device(0, device=0), "open_device() got multiple values for argument 'device'"),
    (lambda: memledger.close_device(), "close_device() missing required argument: 'device'"),
    (lambda: memledger.flush(1), "flush() takes 0 positional arguments but 1 was given: call it as flush()"),
])
def test_calls_that_fit_no_signature_name_the_parameters(call, message):
    with pytest.raises(TypeError) as raised:
        call()
    assert message in str(raised.value)


def test_no_function_answers_a_wrong_call_with_pybind11s_types():
    """Every public function of the native module: called with what fits nothing, its TypeError is in Python's
    terms (no "handle", no "incompatible function arguments")."""
    functions = [name for name in dir(memledger._memledger)
                 if not name.startswith("_") and inspect.isbuiltin(getattr(memledger._memledger, name))]
    assert "track_alloc" in functions and "open_device" in functions
    for name in functions:
        with pytest.raises(TypeError) as raised:
            getattr(memledger, name)(*range(9), no_such_argument=1)
        message = str(raised.value)
        assert message.startswith(f"{name}() ") and "handle" not in message and "incompatible" not in message, message


def test_positional_arguments_work_where_the_signature_takes_them():
    memledger.open_device(0)
    memledger.mark("step")
    memledger.skip_frames("^alloc$")
    assert memledger.set_stack_depth(4) is None
    memledger.close_device(0)


def test_open_device_checks_capacities():
    with pytest.raises(TypeError, match="capacity must be a mapping"):
        memledger.open_device(0, capacity=[("DRAM", 1)])
    with pytest.raises(ValueError, match="unknown memory type 'HBM'"):
        memledger.open_device(0, capacity={"HBM": 1})
    with pytest.raises(ValueError, match="a capacity must be between 0"):
        memledger.open_device(0, capacity={"DRAM": -1})
    with pytest.raises(TypeError, match="name must be a str"):
        memledger.open_device(0, name=5)


@pytest.mark.parametrize("bad, error, message", [
    (dict(size=-1), ValueError, "size must be between 0 and 18446744073709551615, got -1"),
    (dict(extent=1.5), TypeError, "extent must be an int, not float"),
    (dict(type="HBM"), ValueError, "unknown memory type 'HBM'"),
    (dict(device=1024), ValueError, "device must be between 0 and 1023, got 1024"),
])
def test_alloc_failed_checks_its_arguments(bad, error, message):
    with pytest.raises(error) as raised:
        memledger.alloc_failed(**dict(dict(device=0, type="DRAM", size=4096), **bad))
    assert message in str(raised.value)


def test_alloc_failed_takes_keywords_only():
    with pytest.raises(TypeError, match=r"alloc_failed\(\) takes keyword arguments only"):
        memledger.alloc_failed(0, "DRAM", 4096)
    with pytest.raises(TypeError, match=r"alloc_failed\(\) missing required argument: 'size'"):
        memledger.alloc_failed(device=0, type="DRAM")


L1 = {"type": "L1", "base": 0, "size": 2 * (1 << 20), "banks": 2, "alignment": 32}


def test_open_device_takes_address_spaces():
    memledger.open_device(0, address_spaces=[{"type": "DRAM", "base": 0, "size": 1 << 30}, L1,
                                             dict(type="CB", within="L1")])
    memledger.open_device(1, address_spaces=())
    with memledger.device(2, address_spaces=[dict(type=0, base=0x1000, size=4096, banks=1, alignment=1,
                                                  within=None)]):
        pass


@pytest.mark.parametrize("spaces, error, message", [
    ({"type": "DRAM"}, TypeError, "address_spaces must be a sequence of mappings, one per memory type, not dict"),
    ("DRAM", TypeError, "address_spaces must be a sequence of mappings"),
    (5, TypeError, "address_spaces must be a sequence of mappings, one per memory type, not int"),
    ([("DRAM", 0, 1)], TypeError, "address_spaces[0] must be a mapping with the keys type, base, size, banks, "
                                  "alignment, within"),
    ([L1, {"type": "DRAM", "base": 0, "sise": 4}], TypeError,
     "address_spaces[1] has no key 'sise': its keys are type, base, size, banks, alignment, within"),
    ([{"base": 0, "size": 4}], TypeError, "address_spaces[0] needs a \"type\""),
    ([{"type": "DRAM", "size": 4}], TypeError, "address_spaces[0] needs a \"base\" and a \"size\""),
    ([{"type": "HBM", "base": 0, "size": 4}], ValueError, "unknown memory type 'HBM'"),
    ([{"type": "DRAM", "base": -1, "size": 4}], ValueError, "address_spaces[0][\"base\"] must be between 0"),
    ([{"type": "DRAM", "base": 0, "size": "4"}], TypeError, "address_spaces[0][\"size\"] must be an int, not str"),
    ([{"type": "DRAM", "base": 0, "size": 0}], ValueError, "address_spaces[0] has a size of 0"),
    ([dict(L1, banks=0)], ValueError, "address_spaces[0] has 0 banks"),
    ([dict(L1, banks=1 << 32)], ValueError, "address_spaces[0][\"banks\"] must be between 0 and 4294967295"),
    ([dict(L1, alignment=24)], ValueError, "address_spaces[0] has an alignment of 24 (not a power of two)"),
    ([dict(L1, size=3)], ValueError, "address_spaces[0] has a size of 3 that 2 banks do not divide"),
    ([{"type": "DRAM", "base": (1 << 64) - 1, "size": 2}], ValueError, "a range past the end of the address space"),
    ([L1, dict(L1, base=4096)], ValueError, "address_spaces[1] is a second space of its type"),
    ([dict(type="CB", within="L1", size=64)], ValueError,
     "address_spaces[0] lies within another type's space: its base and size are that space's"),
])
def test_open_device_checks_address_spaces(spaces, error, message):
    with pytest.raises(error) as raised:
        memledger.open_device(0, address_spaces=spaces)
    assert message in str(raised.value)


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
