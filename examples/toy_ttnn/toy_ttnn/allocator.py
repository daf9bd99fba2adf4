# First-fit allocation of one address range: the free list, alignment, and which end it places from.
# Pure bookkeeping of addresses: it knows no device, no memory type and nothing of memledger.
from .errors import OutOfMemoryError


def align_up(value, alignment):
    return (value + alignment - 1) // alignment * alignment


class FirstFitAllocator:
    """Places blocks in [base, base + size), each `alignment`-aligned and a multiple of it long.

    Bottom-up, a block goes at the start of the lowest free run that holds it; top-down (as L1
    buffers are placed, leaving L1's bottom to circular buffers), at the end of the highest one.
    Invariant: free runs are sorted, disjoint, never adjacent, and with the allocated blocks they
    tile [base, base + size) exactly. Not thread-safe."""

    def __init__(self, base, size, *, alignment, top_down=False):
        if alignment <= 0 or alignment & (alignment - 1):
            raise ValueError(f"alignment {alignment} is not a power of two")
        self.base, self.size, self.alignment, self.top_down = base, size, alignment, top_down
        self._free = [(base, size)]  # (start, length), sorted by start
        self._blocks = {}            # start -> length of each allocated block

    def footprint(self, size):
        """What a request of `size` bytes takes here."""
        return align_up(max(size, 1), self.alignment)

    def allocate(self, size):
        """The address of a new block of footprint(size) bytes; OutOfMemoryError when no free run holds it."""
        length = self.footprint(size)
        order = range(len(self._free) - 1, -1, -1) if self.top_down else range(len(self._free))
        for i in order:
            start, run = self._free[i]
            if run < length:
                continue
            address = start + run - length if self.top_down else start
            rest = (start, run - length) if self.top_down else (start + length, run - length)
            if rest[1]:
                self._free[i] = rest
            else:
                del self._free[i]
            self._blocks[address] = length
            return address
        raise OutOfMemoryError(f"{length} bytes do not fit: {self.free_bytes()} free, "
                               f"the largest free run {self.largest_free()} bytes")

    def free(self, address):
        """Returns the block at `address` to the free runs, merged with its neighbours."""
        length = self._blocks.pop(address)  # KeyError: not a block of this allocator
        runs = self._free
        i = next((k for k, (start, _) in enumerate(runs) if start > address), len(runs))
        runs.insert(i, (address, length))
        if i + 1 < len(runs) and address + length == runs[i + 1][0]:
            runs[i] = (address, length + runs.pop(i + 1)[1])
        if i > 0 and runs[i - 1][0] + runs[i - 1][1] == address:
            runs[i - 1] = (runs[i - 1][0], runs[i - 1][1] + runs.pop(i)[1])

    def release_all(self):
        """Forgets every block: the range is free again."""
        self._free, self._blocks = [(self.base, self.size)], {}

    def free_bytes(self):
        return sum(run for _, run in self._free)

    def largest_free(self):
        return max((run for _, run in self._free), default=0)
