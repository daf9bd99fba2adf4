# Tests that leak on purpose: each line that leaves a device buffer live ends in "# LEAKS HERE".
import pytest

import toy_ttnn


def test_forgotten_deallocate(device):
    a = toy_ttnn.empty(device, (32, 64), toy_ttnn.bfloat16, toy_ttnn.DRAM_MEMORY_CONFIG)
    b = toy_ttnn.empty(device, (32, 64), toy_ttnn.bfloat16, toy_ttnn.DRAM_MEMORY_CONFIG)
    out = toy_ttnn.add(a, b)  # LEAKS HERE
    assert out.shape == (32, 64)
    a.deallocate()
    b.deallocate()


@pytest.fixture
def scratch(device):
    """Two scratch tensors; the teardown checks them with a reduction it never frees."""
    a = toy_ttnn.empty(device, (32, 32), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    b = toy_ttnn.empty(device, (32, 32), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    yield a, b
    check = toy_ttnn.add(a, b, memory_config=toy_ttnn.DRAM_MEMORY_CONFIG)  # LEAKS HERE
    assert check.shape == a.shape
    a.deallocate()
    b.deallocate()


def test_fixture_teardown_leaks(scratch):
    a, b = scratch
    out = toy_ttnn.matmul(a, b)
    assert out.shape == (32, 32)
    out.deallocate()


@pytest.mark.allow_device_leaks(buffers=1, reason="the runtime keeps this tensor alive on purpose")
def test_allowed_leak(device):
    kept = toy_ttnn.empty(device, (64, 32), toy_ttnn.bfloat16, toy_ttnn.DRAM_MEMORY_CONFIG)  # LEAKS HERE
    assert kept.is_allocated
