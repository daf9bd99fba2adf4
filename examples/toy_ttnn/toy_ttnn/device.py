# A toy device: its DRAM and L1 allocators, the buffers it holds, its program cache, and its life
# (open, close). Each buffer it places or releases is reported to memledger with the address chosen.
import dataclasses
import itertools

from . import ledger
from .allocator import FirstFitAllocator
from .errors import DeallocatedError, DeviceClosedError, OutOfMemoryError
from .program_cache import ProgramCache

KiB, MiB = 1 << 10, 1 << 20


@dataclasses.dataclass(eq=False)
class Buffer:
    """One allocation on a device: `size` bytes (the footprint) of `type` at `address`."""
    device: "Device"
    id: int
    type: str
    address: int
    size: int
    live: bool = True


class Device:
    """A device with DRAM and L1, open from construction until close().

    L1 is split in two: the program cache places circular buffers in its bottom cb_region bytes,
    and L1 buffers are placed top-down above them (tt-metal shares one range between the two; the
    toy keeps them apart, so that circular buffers the cache holds cannot clash with tensors).

    close() releases whatever the device still holds: the program cache's circular buffers are
    freed; buffers the program forgot are released without a free, so memledger books them as this
    process's leaks. Not thread-safe."""

    def __init__(self, device_id=0, *, name="toy", dram_size=16 * MiB, l1_size=1 * MiB, cb_region=384 * KiB,
                 alignment=32):
        self.id, self.name = device_id, name
        l1_buffers = l1_size - cb_region  # what L1 buffers can have: L1 above the circular buffers' region
        self._allocators = {
            "DRAM": FirstFitAllocator(0, dram_size, alignment=alignment),
            "L1": FirstFitAllocator(cb_region, l1_buffers, alignment=alignment, top_down=True),
        }
        self._ids = itertools.count(1)  # buffer and circular-buffer ids, unique on this device
        self._live = {}                 # buffer id -> Buffer
        self.is_open = True
        # memledger is told the ranges the allocators place in (an L1 space of all of L1 would show the
        # circular buffers' region as free L1, and an L1 allocation that fails as "unexplained").
        ledger.open_device(device_id, name=name, capacity={"DRAM": dram_size, "L1": l1_buffers},
                           address_spaces=[dict(type="DRAM", base=0, size=dram_size, alignment=alignment),
                                           dict(type="L1", base=cb_region, size=l1_buffers, alignment=alignment),
                                           dict(type="CB", within="L1")])
        self.program_cache = ProgramCache(self, base=0, size=cb_region, alignment=alignment)

    def next_id(self):
        return next(self._ids)

    def allocate(self, mem_type, size):
        """A new buffer of at least `size` bytes in "DRAM" or "L1"; OutOfMemoryError when it does not fit."""
        self._check_open()
        allocator = self._allocators[mem_type]
        try:
            address = allocator.allocate(size)
        except OutOfMemoryError as error:
            ledger.alloc_failed(self.id, mem_type, allocator.footprint(size))
            raise OutOfMemoryError(f"device {self.id} {mem_type}: {error}") from None
        buffer = Buffer(self, self.next_id(), mem_type, address, allocator.footprint(size))
        self._live[buffer.id] = buffer
        ledger.alloc(self.id, mem_type, buffer.id, address, buffer.size)
        return buffer

    def deallocate(self, buffer):
        """Frees `buffer`; a second deallocate of it is a DeallocatedError and changes nothing."""
        self._check_open()
        if not buffer.live:
            raise DeallocatedError(f"buffer {buffer.id} ({buffer.type} at {buffer.address:#x}) is already "
                                   f"deallocated")
        ledger.free(self.id, buffer.type, buffer.id, buffer.address)  # before the address can be reused
        self._allocators[buffer.type].free(buffer.address)
        del self._live[buffer.id]
        buffer.live = False

    def live_buffers(self):
        """The buffers allocated and not yet deallocated, oldest first."""
        return list(self._live.values())

    def close(self):
        """Clears the program cache, releases every buffer still held, and closes the device."""
        if not self.is_open:
            return
        self.program_cache.clear()
        for buffer in self._live.values():
            buffer.live = False
        self._live.clear()
        for allocator in self._allocators.values():
            allocator.release_all()
        self.is_open = False
        ledger.close_device(self.id)  # what memledger still sees live here becomes this process's leaks

    def _check_open(self):
        if not self.is_open:
            raise DeviceClosedError(f"device {self.id} is closed")

    def __repr__(self):
        return f"Device({self.id}, {self.name!r}, {'open' if self.is_open else 'closed'})"


def open_device(device_id=0, **geometry):
    """Opens device `device_id`: see Device for the geometry's keywords."""
    return Device(device_id, **geometry)


def close_device(device):
    device.close()
