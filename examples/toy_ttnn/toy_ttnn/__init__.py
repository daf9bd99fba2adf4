# toy_ttnn's public names: a small device runtime whose allocations memledger books.
"""toy_ttnn — a toy device runtime over memledger's Python hooks (examples/toy_ttnn/README.md).

    device = toy_ttnn.open_device(0)
    a = toy_ttnn.empty(device, (64, 64), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    b = toy_ttnn.add(a, a)
    a.deallocate(); b.deallocate()
    toy_ttnn.close_device(device)
"""
from .device import Buffer, Device, close_device, open_device
from .errors import DeallocatedError, DeviceClosedError, OutOfMemoryError
from .ops import add, matmul
from .program_cache import ProgramCache
from .tensor import DRAM_MEMORY_CONFIG, L1_MEMORY_CONFIG, DataType, Tensor, bfloat16, deallocate, empty, float32

__all__ = [
    "DRAM_MEMORY_CONFIG", "L1_MEMORY_CONFIG", "Buffer", "DataType", "DeallocatedError", "Device",
    "DeviceClosedError", "OutOfMemoryError", "ProgramCache", "Tensor", "add", "bfloat16", "close_device",
    "deallocate", "empty", "float32", "matmul", "open_device",
]
