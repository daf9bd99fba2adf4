# Clean tests of the ops and tensors, as a user writes them: every tensor made is deallocated.
import pytest

import toy_ttnn

SHAPES = [(32, 32), (64, 128), (2, 32, 96)]
MEMORIES = [toy_ttnn.DRAM_MEMORY_CONFIG, toy_ttnn.L1_MEMORY_CONFIG]


@pytest.mark.parametrize("memory_config", MEMORIES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_add(device, shape, memory_config):
    a = toy_ttnn.empty(device, shape, toy_ttnn.bfloat16, memory_config)
    b = toy_ttnn.empty(device, shape, toy_ttnn.bfloat16, memory_config)
    out = toy_ttnn.add(a, b)
    assert out.shape == shape
    assert out.memory_config == memory_config
    for tensor in (a, b, out):
        tensor.deallocate()


@pytest.mark.parametrize("memory_config", MEMORIES)
@pytest.mark.parametrize("m, k, n", [(32, 64, 32), (128, 32, 64)], ids=["32x64x32", "128x32x64"])
def test_matmul(device, m, k, n, memory_config):
    a = toy_ttnn.empty(device, (m, k), toy_ttnn.float32, memory_config)
    b = toy_ttnn.empty(device, (k, n), toy_ttnn.float32, memory_config)
    out = toy_ttnn.matmul(a, b, memory_config=toy_ttnn.DRAM_MEMORY_CONFIG)
    assert out.shape == (m, n)
    assert out.nbytes == m * n * 4
    for tensor in (a, b, out):
        tensor.deallocate()


def test_double_deallocate_is_an_error(device):
    a = toy_ttnn.empty(device, (32, 32))
    a.deallocate()
    live = len(device.live_buffers())
    with pytest.raises(toy_ttnn.DeallocatedError):
        a.deallocate()
    assert len(device.live_buffers()) == live


def test_out_of_memory_raises(device):
    with pytest.raises(toy_ttnn.OutOfMemoryError):
        toy_ttnn.empty(device, (4096, 4096), toy_ttnn.bfloat16, toy_ttnn.DRAM_MEMORY_CONFIG)


def test_freed_memory_is_reused(device):
    a = toy_ttnn.empty(device, (64, 64), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    address = a.buffer.address
    a.deallocate()
    b = toy_ttnn.empty(device, (64, 64), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    assert b.buffer.address == address
    b.deallocate()
