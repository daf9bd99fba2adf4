"""What memledger.Capture returns: leak sites, devices, peaks with what was live then, buffer events and failed
allocations."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class LeakSite:
    """Buffers still live at the end, grouped by where they were allocated."""
    bytes: int
    buffers: int
    device: int
    type: str   # "DRAM", ..., or a pool's name
    tag: str    # "" when none; nested tags as their path ("decode/activations")
    pid: int
    stack: tuple  # memledger.Frame, innermost first; empty without stacks


@dataclasses.dataclass(frozen=True)
class Device:
    """A device of the books: its ledger-wide number (what LeakSite.device and Peak.device name), its name,
    what it is physically when its opener said (uid: a GPU's UUID, a chip's unique id; None when unknown), its
    capacity per memory type, and the opens that described it otherwise (not adopted)."""
    device: int
    name: str
    uid: str | None
    capacity: dict  # {"DRAM": bytes, ...}
    conflicts: int


@dataclasses.dataclass(frozen=True)
class LiveSite:
    """Buffers live at a peak that were allocated at one site (one tag, one stack)."""
    bytes: int
    buffers: int
    tag: str       # "" when none
    headline: str  # the site as reports name it: its first frame in the program's own code
    stack: tuple   # memledger.Frame, innermost first; empty without stacks


@dataclasses.dataclass(frozen=True)
class TagAmount:
    """Buffers live at a peak under one tag ("" when none)."""
    tag: str
    bytes: int
    buffers: int


@dataclasses.dataclass(frozen=True)
class Peak:
    """The most bytes ever live at once on a device in one memory type, the record that first reached it, and
    what was live at that instant (as `memledger report` finds it and its "peaks" section shows)."""
    device: int
    type: str
    bytes: int
    seq: int
    time_ns: int   # CLOCK_MONOTONIC, as the consumer stamped the record
    by_tag: tuple  # TagAmount, largest first
    live: tuple    # LiveSite, largest first; their bytes add up to `bytes`


@dataclasses.dataclass(frozen=True)
class BufferEvent:
    """One buffer event of a capture: kind "ALLOC", "FREE", "CB_ALLOC", "CB_FREE", "KERNEL_LOAD" or
    "KERNEL_UNLOAD"."""
    kind: str
    seq: int      # the process's sequence number: the order of the hooks
    time_ns: int  # CLOCK_MONOTONIC, as the consumer stamped the record
    pid: int
    device: int   # ledger-wide, as LeakSite.device and Peak.device
    type: str
    buffer_id: int  # 0: the address is the identity
    address: int
    size: int       # 0 for a free
    thread: int     # the kernel thread id of the hooked thread
    tag: str        # "" when none
    stack: tuple    # memledger.Frame, innermost first; empty without stacks


@dataclasses.dataclass(frozen=True)
class AllocFailedEvent:
    """An allocation that failed (memledger_alloc_failed, memledger.alloc_failed): kind "ALLOC_FAILED"."""
    kind: str
    seq: int      # the process's sequence number: the order of the hooks
    time_ns: int  # CLOCK_MONOTONIC, as the consumer stamped the record
    pid: int
    device: int   # ledger-wide, as LeakSite.device and Peak.device
    type: str
    size: int     # as requested
    extent: int   # what it needed in the type's address space, in the hooks' units (the size when not given)
    thread: int   # the kernel thread id of the hooked thread
    tag: str      # "" when none
    stack: tuple  # memledger.Frame, innermost first; empty without stacks
