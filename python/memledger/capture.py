"""memledger.Capture: a capture file (.mlcap) read back through the ledger's one accounting path and kept open
until closed."""
import copy
import json
import os
import warnings

from . import _memledger
from .capture_records import AllocFailedEvent, BufferEvent, Device, LeakSite, LiveSite, Peak, TagAmount
from .frames import Frame


class CaptureWarning(UserWarning):
    """The capture file was cut or damaged: what is whole was read."""


class Capture:
    """A capture file, replayed once when opened; its books stay in memory until ``close()``. A context manager:
    ``with memledger.Capture("run.mlcap") as cap: ...`` closes it at the end of the block. Any question asked
    of a closed capture raises ValueError.

    `problem` says what was cut or damaged (None when the file is whole; a CaptureWarning says it too), and
    `clean_end` whether the process's end record is in it (False: cut, still being written, or its process
    killed; the process is then running when the capture ends, what it holds live, not leaked)."""

    def __init__(self, path):
        """`path`: a capture file, or a list of the segments of one run cut into several
        (MEMLEDGER_OUTPUT_ROTATE_BYTES; in any order: read as one history, as ``memledger report run.*.mlcap``
        reads them). `path` stays as given; `files` are the files read, in order."""
        several = isinstance(path, (list, tuple))
        paths = [os.fspath(p) for p in path] if several else [os.fspath(path)]
        self.path = tuple(paths) if several else paths[0]
        for file in paths:
            with open(file, "rb"):  # missing or unreadable: the OSError Python gives
                pass
        self._books = _memledger._OpenCapture(paths)
        self.files = tuple(self._books.files)
        # How messages name it: the file, or the run's first and last segments read.
        self._name = self.files[0] if len(self.files) == 1 else f"{self.files[0]} to {self.files[-1]}"
        self._report = None
        self._stacks = {}  # stack id -> tuple of Frame
        self.problem = self._books.problem or None
        self.clean_end = self._books.clean_end
        self.records = self._books.records
        if self.problem:
            warnings.warn(f"{self._name}: {self.problem}", CaptureWarning, stacklevel=2)

    def __enter__(self):
        self._open_books()
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        """Frees the books. Closing again does nothing."""
        self._books.close()
        self._report = None
        self._stacks.clear()

    @property
    def closed(self):
        return self._books.closed

    def report(self):
        """What ``memledger report CAPTURE --json`` prints, as a dict: the summary schema (memledger.summary/1)
        with the report's sections "window", "peaks", "top_sites", "growth" and "capture" (docs/architecture.md,
        "Summary JSON"). Made by the same code as the command's."""
        books = self._open_books()
        if self._report is None:
            self._report = json.loads(books.report_json())
        return copy.deepcopy(self._report)

    def summary(self):
        """The same as report() (its older name)."""
        return self.report()

    def leaks(self):
        """Leak sites, largest first (a list of LeakSite)."""
        return [LeakSite(bytes=s["bytes"], buffers=s["buffers"], device=s["device"], type=s["type"], tag=s["tag"],
                         pid=s["pid"], stack=self._stack(s["stack"]))
                for s in self._open_books().leaks()]

    def devices(self):
        """The devices, by number (a list of Device)."""
        return [Device(device=d["device"], name=d["name"], uid=d["uid"], capacity=dict(d["capacity"]),
                       conflicts=d["conflicts"])
                for d in self.report()["devices"]]

    def peak(self):
        """{(device, type): Peak} for every device and memory type used: each peak's bytes, when it was first
        reached, and what was live at that instant by tag and by allocation site."""
        return {(p["device"], p["type"]): Peak(
                    device=p["device"], type=p["type"], bytes=p["bytes"], seq=p["seq"], time_ns=p["time_ns"],
                    by_tag=tuple(TagAmount(tag, size, buffers) for tag, size, buffers in p["by_tag"]),
                    live=tuple(LiveSite(bytes=size, buffers=buffers, tag=tag, headline=headline,
                                        stack=self._stack(stack))
                               for size, buffers, tag, headline, stack in p["live"]))
                for p in self._open_books().peaks()}

    def events(self):
        """The buffer events (BufferEvent) and failed allocations (AllocFailedEvent), in sequence: an iterator
        that reads the file as it is advanced, never all of it at once. Names (device, type, tag, frames) are the
        books'. Closing the capture ends it with ValueError at the next event."""
        for (kind, seq, time_ns, pid, device, type_, buffer_id, address, size, thread, tag,
             stack) in _memledger._CaptureEvents(self._open_books()):
            if kind == "ALLOC_FAILED":
                yield AllocFailedEvent(kind=kind, seq=seq, time_ns=time_ns, pid=pid, device=device, type=type_,
                                       size=size, extent=address or size, thread=thread, tag=tag,
                                       stack=self._stack(stack))
            else:
                yield BufferEvent(kind=kind, seq=seq, time_ns=time_ns, pid=pid, device=device, type=type_,
                                  buffer_id=buffer_id, address=address, size=size, thread=thread, tag=tag,
                                  stack=self._stack(stack))

    def _open_books(self):
        if self._books.closed:
            raise ValueError(f"{self._name}: the capture is closed")
        return self._books

    def _stack(self, stack):
        """The frames of a stack id (cached: sites and events repeat stacks)."""
        if stack not in self._stacks:
            self._stacks[stack] = tuple(Frame(*frame) for frame in self._open_books().frames(stack))
        return self._stacks[stack]

    def __repr__(self):
        return f"memledger.Capture({self.path!r}{', closed' if self.closed else ''})"
