"""memledger.Capture: a capture file (.mlcap) read back through the ledger's one accounting path."""
import copy
import dataclasses
import json
import os
import warnings

from . import _memledger


class CaptureWarning(UserWarning):
    """The capture file was cut or damaged: what is whole was read."""


@dataclasses.dataclass(frozen=True)
class LeakSite:
    """Buffers still live at the end, grouped by where they were allocated."""
    bytes: int
    buffers: int
    device: int
    type: str   # "DRAM", ..., or a pool's name
    tag: str    # "" when none
    pid: int
    stack: tuple  # "function at file:line", innermost first; empty without stacks


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
class Peak:
    """The most bytes ever live at once on a device in one memory type, and the record that first reached it
    (as `memledger report` finds it)."""
    device: int
    type: str
    bytes: int
    seq: int
    time_ns: int  # CLOCK_MONOTONIC, as the consumer stamped the record


class Capture:
    """A capture file, replayed once when opened.

    `problem` says what was cut or damaged (None when the file is whole; a CaptureWarning says it too), and
    `clean_end` whether the process's end record is in it (False: cut, still being written, or its process
    killed; the process is then running when the capture ends, what it holds live, not leaked)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        with open(self.path, "rb"):  # missing or unreadable: the OSError Python gives
            pass
        replay = _memledger._replay_capture(self.path)
        self._summary = json.loads(replay["summary_json"])
        self._peaks = {(p["device"], p["type"]): Peak(**p) for p in replay["peaks"]}
        self.problem = replay["problem"] or None
        self.clean_end = replay["clean_end"]
        self.records = replay["records"]
        if self.problem:
            warnings.warn(f"{self.path}: {self.problem}", CaptureWarning, stacklevel=2)

    def summary(self):
        """The books as the summary schema (memledger.summary/1), a dict: what
        ``memledger report CAPTURE --json`` prints."""
        return copy.deepcopy(self._summary)

    def leaks(self):
        """Leak sites, largest first (a list of LeakSite)."""
        return [LeakSite(bytes=s["bytes"], buffers=s["buffers"], device=s["device"], type=s["type"], tag=s["tag"],
                         pid=s["pid"], stack=tuple(s["stack"]))
                for s in self._summary["leaks"]["sites"]]

    def devices(self):
        """The devices, by number (a list of Device)."""
        return [Device(device=d["device"], name=d["name"], uid=d["uid"], capacity=dict(d["capacity"]),
                       conflicts=d["conflicts"])
                for d in self._summary["devices"]]

    def peak(self):
        """{(device, type): Peak} for every device and memory type used."""
        return dict(self._peaks)

    def __repr__(self):
        return f"memledger.Capture({self.path!r})"
