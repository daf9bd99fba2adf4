"""Checkpoints: which device buffers this process allocated after a point and still holds.

What a leak gate asks (memledger.h, "Checkpoints")::

    with memledger.checkpoint() as cp:
        run_the_test()
        result = cp.query()
    if result.buffers:
        print(result.text)            # count, bytes, and each site with its Python and native frames
        result.sites[0].site          # "tests/test_x.py:12": the first frame in the user's code

Exact: a buffer allocated after the checkpoint and freed before the query, on any thread, is never
reported, nor one allocated before it. Checkpoints nest (MAX_CHECKPOINTS open at once). With tracking
off, ``checkpoint()`` is inactive and its query raises CheckpointError. Under ``memledger serve`` the
server answers from its books of this process.
"""
import dataclasses
import json

from . import _memledger

MAX_CHECKPOINTS = _memledger.MAX_CHECKPOINTS

_REASONS = {code: name for name, code in _memledger._CHECKPOINT_ERRORS.items()}
_MEANINGS = {
    "off": "tracking is off in this process (MEMLEDGER=1 turns it on)",
    "unknown": "the checkpoint is not open: never begun, ended, or begun before this process's ledger took over",
    "stalled": "the consumer applied nothing of this process's records for the query's timeout",
    "server": "the memledger server that drains this process could not be asked",
    "argument": "the query's arguments were refused",
    "report": "the answer's report could not be made",
}


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be taken or asked about; ``reason`` is one of "off", "unknown", "stalled",
    "server", "argument", "report", "full"."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class LeakGroup:
    """One site's buffers that are still live: ``headline`` names the site as reports do ("test_x at
    test_a.py:12"; None without a stack), ``site`` is its first frame in the user's code ("tests/test_a.py:12"),
    ``frames`` every frame innermost first (dicts: function, place, role "user"/"runtime"/"allocator",
    language "interpreted"/"native"), ``stack`` the report's lines, ``places`` where its buffers are (dicts:
    device, type, tag, buffers, bytes)."""
    buffers: int
    bytes: int
    headline: str | None
    site: str | None
    frames: tuple
    stack: tuple
    places: tuple


@dataclasses.dataclass(frozen=True)
class PeakSince:
    """One device and memory type since the checkpoint: bytes live at its begin, the highest since, now."""
    device: int
    type: str
    at_begin: int
    peak: int
    now: int

    @property
    def above_begin(self):
        return self.peak - self.at_begin


@dataclasses.dataclass(frozen=True)
class CheckpointResult:
    """What a query answered: the live buffers allocated since (``buffers``, ``bytes``), gathered into
    ``sites`` (largest first), the ``peaks`` per device and type, a short ``text`` for a failure message, and
    ``raw``, the JSON (memledger.checkpoint/1) as a dict (its "buffer_list" has each buffer). ``sites``,
    ``peaks``, ``text`` and ``raw`` are empty with counts_only."""
    buffers: int
    bytes: int
    peak_above_begin: int
    sites: tuple = ()
    peaks: tuple = ()
    text: str = ""
    raw: dict = dataclasses.field(default_factory=dict, repr=False)

    def peak_above(self, type=None, device=None):
        """The highest rise above the checkpoint's live bytes, over the peaks of memory type ``type`` (a name)
        and device ``device`` (None: any)."""
        return max((p.above_begin for p in self.peaks
                    if (type is None or p.type == type) and (device is None or p.device == device)), default=0)


def _raise(status, what):
    reason = _REASONS.get(status, "argument")
    raise CheckpointError(reason, f"{what}: {_MEANINGS[reason]}")


def _result(buffers, nbytes, peak, raw_json, text):
    if raw_json is None:
        return CheckpointResult(buffers, nbytes, peak)
    raw = json.loads(raw_json)
    sites = tuple(LeakGroup(s["buffers"], s["bytes"], s["headline"], s["site"], tuple(s["frames"]),
                            tuple(s["stack"]), tuple(s["places"])) for s in raw["sites"])
    peaks = tuple(PeakSince(p["device"], p["type"], p["at_begin"], p["peak"], p["now"]) for p in raw["peaks"])
    return CheckpointResult(buffers, nbytes, peak, sites, peaks, text or "", raw)


class checkpoint:
    """A checkpoint from creation until ``end()`` (or the end of its ``with``). ``active`` is False when
    tracking is off; ``id`` is its sequence number."""

    def __init__(self):
        self.id = _memledger._checkpoint_begin()
        if self.id == 0 and _memledger.enabled():
            raise CheckpointError("full", f"{MAX_CHECKPOINTS} checkpoints are open: end one first")

    @property
    def active(self):
        return self.id != 0

    def query(self, exclude=(), max_sites=10, counts_only=False, timeout=10.0):
        """What was allocated since and is still live. ``exclude``: (begin, end) pairs of ``sequence()``
        values whose allocations are not the caller's (at most 8); ``max_sites``: sites in ``text``;
        ``timeout``: seconds a consumer that applies nothing is waited for. Raises CheckpointError."""
        if not self.active:
            _raise(_memledger._CHECKPOINT_ERRORS["off"] if not _memledger.enabled() else
                   _memledger._CHECKPOINT_ERRORS["unknown"], "cannot query the checkpoint")
        ranges = [(int(b), int(e)) for b, e in exclude]
        status, buffers, nbytes, peak, raw_json, text = _memledger._query_checkpoint(
            self.id, ranges, int(max_sites), bool(counts_only), max(1, int(timeout * 1000)))
        if status != 0:
            reason = _REASONS.get(status, "argument")
            raise CheckpointError(reason, f"cannot query checkpoint {self.id}: {text or _MEANINGS[reason]}")
        return _result(buffers, nbytes, peak, raw_json, text)

    def end(self):
        """Ends it (once; later calls do nothing)."""
        if self.id != 0:
            checkpoint_id, self.id = self.id, 0
            _memledger._checkpoint_end(checkpoint_id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.end()
        return False

    def __repr__(self):
        return f"memledger.checkpoint(id={self.id})" if self.active else "memledger.checkpoint(inactive)"


sequence = _memledger.sequence
