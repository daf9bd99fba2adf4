# Compiled programs, one per op and shapes, and their circular buffers (memory type CB): laid out in
# the bottom of L1 while the program runs, freed when it ends, so programs take turns in that region.
import contextlib
import dataclasses

from . import ledger
from .allocator import FirstFitAllocator
from .errors import OutOfMemoryError

TILE = 32  # a circular buffer holds tiles of TILE x TILE elements


@dataclasses.dataclass
class Program:
    key: tuple
    cbs: list  # [(cb id, size in bytes)]
    runs: int = 0


class ProgramCache:
    """Compiles a program the first time its key is seen and keeps it until clear(). While a program runs
    (run()), its circular buffers are placed first-fit in [base, base + size) of L1 and booked as CB under
    the memledger tag "program_cache"; they are freed when it ends. Not thread-safe."""

    def __init__(self, device, *, base, size, alignment):
        self.device = device
        self._space = FirstFitAllocator(base, size, alignment=alignment)
        self._programs = {}

    @contextlib.contextmanager
    def run(self, key, cb_tiles, element_size):
        """Runs the program for `key` (compiled now, with one circular buffer of n tiles per entry of
        cb_tiles, when the cache does not hold it yet): its circular buffers are live inside."""
        program = self._programs.get(key)
        if program is None:
            program = Program(key, [(self.device.next_id(), tiles * TILE * TILE * element_size)
                                    for tiles in cb_tiles])
            self._programs[key] = program
        placed = self._place(program)
        try:
            program.runs += 1
            yield program
        finally:
            for cb_id, address in placed:
                ledger.cb_free(self.device.id, cb_id, address)
                self._space.free(address)

    def _place(self, program):
        placed = []
        with ledger.tag("program_cache"):
            for cb_id, size in program.cbs:
                try:
                    address = self._space.allocate(size)
                except OutOfMemoryError as error:
                    ledger.alloc_failed(self.device.id, "CB", self._space.footprint(size))
                    for placed_id, placed_address in placed:
                        ledger.cb_free(self.device.id, placed_id, placed_address)
                        self._space.free(placed_address)
                    raise OutOfMemoryError(f"device {self.device.id} circular buffers of {program.key}: "
                                           f"{error}") from None
                placed.append((cb_id, address))
                ledger.cb_alloc(self.device.id, cb_id, address, self._space.footprint(size))
        return placed

    def clear(self):
        """Forgets every program (none runs: their circular buffers are free)."""
        self._programs.clear()

    def __len__(self):
        return len(self._programs)
