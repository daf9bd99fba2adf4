# The first-fit allocator on its own: placement, alignment, merging. No device, nothing to leak.
import pytest

from toy_ttnn.allocator import FirstFitAllocator
from toy_ttnn.errors import OutOfMemoryError


def test_bottom_up_first_fit_reuses_the_lowest_hole():
    space = FirstFitAllocator(0x1000, 1024, alignment=32)
    a, b, c = (space.allocate(100) for _ in range(3))
    assert (a, b, c) == (0x1000, 0x1080, 0x1100)  # 100 bytes take 128
    space.free(b)
    assert space.allocate(64) == 0x1080
    assert space.free_bytes() == 1024 - 3 * 128 + 64


def test_top_down_places_at_the_end():
    space = FirstFitAllocator(0, 1024, alignment=32, top_down=True)
    assert space.allocate(32) == 1024 - 32
    assert space.allocate(1) == 1024 - 64


def test_freed_neighbours_merge_into_one_run():
    space = FirstFitAllocator(0, 512, alignment=32)
    blocks = [space.allocate(128) for _ in range(4)]
    for address in (blocks[0], blocks[2], blocks[1], blocks[3]):
        space.free(address)
    assert space.largest_free() == 512
    assert space.allocate(512) == 0


def test_a_request_that_does_not_fit_raises_and_changes_nothing():
    space = FirstFitAllocator(0, 256, alignment=32)
    space.allocate(128)
    with pytest.raises(OutOfMemoryError):
        space.allocate(160)
    assert space.free_bytes() == 128
