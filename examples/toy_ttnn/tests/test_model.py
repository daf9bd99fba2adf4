# A two-layer model over weights held by a module-scoped fixture: clean tests.
import pytest

import toy_ttnn

HIDDEN = 64


@pytest.fixture(scope="module")
def weights(device):
    """The model's weights, in DRAM for the module's tests."""
    layers = [toy_ttnn.empty(device, (HIDDEN, HIDDEN), toy_ttnn.bfloat16) for _ in range(2)]
    yield layers
    for w in layers:
        w.deallocate()


def forward(x, weights):
    """x through every layer; x and the intermediate activations are freed as it goes."""
    for w in weights:
        y = toy_ttnn.matmul(x, w, memory_config=toy_ttnn.L1_MEMORY_CONFIG)
        x.deallocate()
        x = y
    return x


@pytest.mark.parametrize("batch", [1, 4])
def test_forward(device, weights, batch):
    x = toy_ttnn.empty(device, (batch * 32, HIDDEN), toy_ttnn.bfloat16, toy_ttnn.L1_MEMORY_CONFIG)
    out = forward(x, weights)
    assert out.shape == (batch * 32, HIDDEN)
    out.deallocate()


def test_weights_stay_allocated(weights):
    assert all(w.is_allocated for w in weights)
