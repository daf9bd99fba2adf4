# A memoized helper whose key changes on every call: each run of the test leaves one more tensor live.
import toy_ttnn

_SCALES = {}  # input buffer id -> its scale tensor: a new entry per call, none ever evicted


def scale_for(x):
    """The scale tensor for x, computed once per input — but every call brings a new input."""
    key = x.buffer.id
    if key not in _SCALES:
        _SCALES[key] = toy_ttnn.empty(x.device, (1, x.shape[-1]), x.dtype)  # LEAKS HERE
    return _SCALES[key]


def test_scaled_input(device):
    x = toy_ttnn.empty(device, (32, 64), toy_ttnn.bfloat16, toy_ttnn.DRAM_MEMORY_CONFIG)
    scale = scale_for(x)
    assert scale.shape == (1, 64)
    x.deallocate()
