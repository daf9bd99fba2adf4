"""memledger.Frame: one frame of an allocation's stack, as a capture's books read it."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Frame:
    """A frame of a stack: a Python function (``function`` as its qualified name, ``file``, ``line``) or a native
    one (demangled ``function``, source ``file`` and ``line`` when the module has debug information, the
    ``module`` it is in). None where unknown. ``str(frame)`` is its line in reports: "function at file:line",
    "function", "module+0xoffset" or "0xaddress"."""
    function: str | None
    file: str | None
    line: int | None
    module: str | None
    text: str = dataclasses.field(repr=False)

    def __str__(self):
        return self.text
