"""A workload, not a test of memledger: 1,000 trivial tests, for what `pytest --memledger` costs per
test as a whole process (docs/benchmarks.md, "Checkpoints"). Half allocate and free one device buffer
through memledger's Python hooks; half touch nothing. From the repository root:

    PYTHONPATH=build/python python3 -m pytest -q -p pytest_memledger --memledger bench/pytest_gate/test_many.py
    PYTHONPATH=build/python python3 -m pytest -q -p pytest_memledger bench/pytest_gate/test_many.py
"""
import pytest

try:
    import memledger
except ImportError:  # the baseline may run without the module
    memledger = None

if memledger is not None:
    memledger.open_device(0, name="bench", capacity={"DRAM": 1 << 30})


@pytest.mark.parametrize("i", range(1000))
def test_trivial(i):
    if i % 2 and memledger is not None:
        memledger.track_alloc(device=0, type="DRAM", buffer_id=i + 1, address=(i + 1) << 12, size=4096)
        memledger.track_free(device=0, type="DRAM", buffer_id=i + 1)
