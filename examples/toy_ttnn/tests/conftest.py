# The suite's shared fixtures (the device, a late-requested KV pool) and the device-memory markers.
import pytest

import toy_ttnn


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_device_leaks(buffers, reason): the test may leave this many device buffers live")
    config.addinivalue_line(
        "markers", "device_memory_limit(limit, type): the test's peak device memory of `type` above what was "
                   "live at its start stays under `limit` (\"64 KiB\")")


@pytest.fixture(scope="session")
def device():
    """One device for the whole session; closing it releases whatever it still holds."""
    device = toy_ttnn.open_device(0)
    yield device
    toy_ttnn.close_device(device)


@pytest.fixture(scope="session")
def kv_pool(device):
    """A KV-cache pool that lives for the rest of the session from the first test that asks for it."""
    pool = [toy_ttnn.empty(device, (128, 64), toy_ttnn.bfloat16) for _ in range(2)]
    yield pool
    for tensor in pool:
        tensor.deallocate()
