# The runtime's errors: what a caller of toy_ttnn can catch.


class OutOfMemoryError(MemoryError):
    """An allocation did not fit in its memory type; nothing was allocated (memledger has the failure)."""


class DeallocatedError(RuntimeError):
    """A tensor or buffer used after deallocate(), or deallocated a second time."""


class DeviceClosedError(RuntimeError):
    """The device was closed: what it held is released, and it allocates nothing more."""
