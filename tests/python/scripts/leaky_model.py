"""A small model, written as a user of a device runtime writes one: an allocator that reports to memledger,
weights loaded and freed, and a KV cache that grows on every decode step and is never freed — the leak
memledger's report must point at, by function and line (tests/python/test_python_frames.py)."""
import itertools

import memledger


class DeviceAllocator:
    """Hands out device addresses and tells memledger, as a runtime's allocator does."""

    def __init__(self, device):
        self.device = device
        self.next_address = 0x10000
        self.ids = itertools.count(1)
        memledger.open_device(device, name="sim", capacity={"DRAM": 1 << 30})
        memledger.skip_frames(r"^DeviceAllocator\.")  # reports name a site by who asked for the buffer

    def allocate(self, size):
        buffer = (next(self.ids), self.next_address)
        self.next_address += size
        memledger.track_alloc(device=self.device, type="DRAM", buffer_id=buffer[0], address=buffer[1], size=size)
        return buffer

    def free(self, buffer):
        memledger.track_free(device=self.device, type="DRAM", buffer_id=buffer[0], address=buffer[1])


def load_weights(allocator):
    weights = [allocator.allocate(1 << 20) for _ in range(4)]
    for buffer in weights:
        allocator.free(buffer)


def grow_kv_cache(allocator, cache, tokens):
    for _ in range(tokens):
        cache.append(allocator.allocate(4096))  # the leak: nothing frees the cache


def decode(allocator, steps):
    cache = []
    for _ in range(steps):
        grow_kv_cache(allocator, cache, tokens=2)
    return len(cache)


def main():
    allocator = DeviceAllocator(0)
    load_weights(allocator)
    decode(allocator, steps=3)


if __name__ == "__main__":
    main()
