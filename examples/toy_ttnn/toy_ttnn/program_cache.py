# Compiled programs, one per op and shapes, and the circular buffers (memory type CB) each keeps in
# the bottom of L1 until the cache is cleared.
import dataclasses

from . import ledger
from .allocator import FirstFitAllocator
from .errors import OutOfMemoryError

TILE = 32  # a circular buffer holds tiles of TILE x TILE elements


@dataclasses.dataclass
class Program:
    key: tuple
    cbs: list  # [(cb id, address, size)]
    runs: int = 0


class ProgramCache:
    """Compiles a program the first time its key is seen and keeps it, with its circular buffers, until
    clear(). The circular buffers are placed first-fit in [base, base + size) of L1 and booked as CB
    under the memledger tag "program_cache". Not thread-safe."""

    def __init__(self, device, *, base, size, alignment):
        self.device = device
        self._space = FirstFitAllocator(base, size, alignment=alignment)
        self._programs = {}

    def get(self, key, cb_tiles, element_size):
        """The program for `key`, compiled now with one circular buffer of n tiles per entry of cb_tiles
        when the cache does not hold it yet."""
        program = self._programs.get(key)
        if program is None:
            program = self._compile(key, cb_tiles, element_size)
            self._programs[key] = program
        program.runs += 1
        return program

    def _compile(self, key, cb_tiles, element_size):
        cbs = []
        with ledger.tag("program_cache"):
            for tiles in cb_tiles:
                size = tiles * TILE * TILE * element_size
                try:
                    address = self._space.allocate(size)
                except OutOfMemoryError as error:
                    ledger.alloc_failed(self.device.id, "CB", self._space.footprint(size))
                    for cb_id, cb_address, _ in cbs:
                        self._free(cb_id, cb_address)
                    raise OutOfMemoryError(f"device {self.device.id} circular buffers of {key}: {error}") from None
                cb_id = self.device.next_id()
                cbs.append((cb_id, address, self._space.footprint(size)))
                ledger.cb_alloc(self.device.id, cb_id, address, self._space.footprint(size))
        return Program(key, cbs)

    def _free(self, cb_id, address):
        ledger.cb_free(self.device.id, cb_id, address)
        self._space.free(address)

    def clear(self):
        """Frees every program's circular buffers."""
        for program in self._programs.values():
            for cb_id, address, _ in program.cbs:
                self._free(cb_id, address)
        self._programs.clear()

    def __len__(self):
        return len(self._programs)
