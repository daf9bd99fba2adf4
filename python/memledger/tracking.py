"""Tags and devices as Python scopes, over the hooks of the native module.

Tags name what allocations are for; they nest per thread, and every
allocation carries the path of its thread's tags, outermost first, joined by
TAG_SEPARATOR: ``@tag("decode")`` around ``with tag("activations")`` tags
"decode/activations". The path is what the C ABI receives
(memledger_tag_push(path) on entry, memledger_tag_pop() on exit) and what
reports show; like every tag it is cut at 256 bytes. Only tags pushed from
Python compose: a tag native code pushes under them is its own name. (Tasks
of one asyncio loop share a thread: tag the synchronous code that allocates,
not a coroutine.)
"""
import contextlib
import functools
import inspect
import threading

from . import _memledger

TAG_SEPARATOR = "/"

_threads = threading.local()  # .paths: this thread's tag paths, innermost last


def _tag_paths():
    if not hasattr(_threads, "paths"):
        _threads.paths = []
    return _threads.paths


class tag:
    """The allocations made inside are tagged `name`: ``with memledger.tag("kv_cache"): ...``,
    or as a decorator, ``@memledger.tag("weights")``. Reusable and nestable: inside another tag the
    allocations carry the path "outer/name" (TAG_SEPARATOR; a name holding it reads as more levels)."""

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"a tag is a str, not {type(name).__name__}")
        self.name = name

    def __enter__(self):
        paths = _tag_paths()
        path = paths[-1] + TAG_SEPARATOR + self.name if paths else self.name
        _memledger._tag_push(path)
        paths.append(path)
        return self

    def __exit__(self, *exc):
        _tag_paths().pop()
        _memledger._tag_pop()
        return False

    def __call__(self, function):
        if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
            raise TypeError("tags are per thread and a coroutine gives its thread away at every await: "
                            "tag the synchronous code inside it instead")

        @functools.wraps(function)
        def tagged(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return tagged

    def __repr__(self):
        return f"memledger.tag({self.name!r})"


@contextlib.contextmanager
def device(device, *, name=None, capacity=None, uid=None, address_spaces=None):
    """The device is open inside: ``with memledger.device(0, name="n300", capacity={"DRAM": 12 << 30}):``.
    ``uid`` says what it is physically, ``address_spaces`` where each memory type's buffers are placed (see
    ``open_device``). What is still allocated on it at the end becomes this process's leaks."""
    _memledger.open_device(device, name=name, capacity=capacity, uid=uid, address_spaces=address_spaces)
    try:
        yield device
    finally:
        _memledger.close_device(device)
