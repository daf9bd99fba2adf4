# Tensors: a shape and a data type in one device buffer, in DRAM or L1, until deallocate().
import dataclasses
import math

from .errors import DeallocatedError

DRAM_MEMORY_CONFIG = "DRAM"
L1_MEMORY_CONFIG = "L1"


@dataclasses.dataclass(frozen=True)
class DataType:
    name: str
    size: int  # bytes per element

    def __repr__(self):
        return f"toy_ttnn.{self.name}"


bfloat16 = DataType("bfloat16", 2)
float32 = DataType("float32", 4)


class Tensor:
    """A tensor on a device. Its buffer is held until deallocate(); there is no data, only its size."""

    def __init__(self, device, shape, dtype=bfloat16, memory_config=DRAM_MEMORY_CONFIG):
        self.shape, self.dtype, self.memory_config = tuple(shape), dtype, memory_config
        self.device = device
        self.buffer = device.allocate(memory_config, self.nbytes)

    @property
    def nbytes(self):
        return math.prod(self.shape) * self.dtype.size

    @property
    def is_allocated(self):
        return self.buffer.live

    def deallocate(self):
        """Frees the tensor's buffer. A second call raises DeallocatedError and frees nothing."""
        if not self.buffer.live:
            raise DeallocatedError(f"{self!r} was already deallocated")
        self.device.deallocate(self.buffer)

    def __repr__(self):
        state = "" if self.buffer.live else ", deallocated"
        return f"Tensor(shape={self.shape}, dtype={self.dtype!r}, {self.memory_config}{state})"


def empty(device, shape, dtype=bfloat16, memory_config=DRAM_MEMORY_CONFIG):
    """A new tensor of `shape` on `device`."""
    return Tensor(device, shape, dtype, memory_config)


def deallocate(tensor):
    tensor.deallocate()
