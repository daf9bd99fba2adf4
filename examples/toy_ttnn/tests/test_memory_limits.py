# Tests under a device memory limit: one stays under, one goes over (and frees it all), one has a
# malformed marker. None leaks.
import pytest

import toy_ttnn

L1 = toy_ttnn.L1_MEMORY_CONFIG


@pytest.mark.device_memory_limit("64 KiB", type="L1")
def test_under_l1_limit(device):
    a = toy_ttnn.empty(device, (64, 64), toy_ttnn.bfloat16, L1)       # 8 KiB
    b = toy_ttnn.empty(device, (64, 64), toy_ttnn.bfloat16, L1)       # 8 KiB
    out = toy_ttnn.add(a, b)                                          # 8 KiB: 24 KiB at the peak
    for tensor in (a, b, out):
        tensor.deallocate()


@pytest.mark.device_memory_limit("64 KiB", type="L1")
def test_over_l1_limit(device):
    a = toy_ttnn.empty(device, (128, 128), toy_ttnn.bfloat16, L1)     # 32 KiB
    b = toy_ttnn.empty(device, (128, 128), toy_ttnn.bfloat16, L1)     # 32 KiB
    out = toy_ttnn.add(a, b)                                          # 32 KiB: 96 KiB at the peak
    for tensor in (a, b, out):
        tensor.deallocate()


@pytest.mark.device_memory_limit("lots")
def test_malformed_limit(device):
    a = toy_ttnn.empty(device, (32, 32), toy_ttnn.bfloat16, L1)
    a.deallocate()
