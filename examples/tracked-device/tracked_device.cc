// tracked_device.cc — a toy device runtime that reports its device memory to
// memledger the way your allocator would: it opens device 0, hands out DRAM
// buffers, frees all of them but one (stage_input() forgets its buffer, on
// purpose), and closes the device.
//
//   ./tracked_device                     untracked: each hook is one load and a branch
//   MEMLEDGER=1 ./tracked_device         the exit report on stderr names the leak:
//       leaks: 1 buffers, 3.0 MiB in 1 sites
//         3.0 MiB in 1 buffers: device 0 DRAM, tag staging, pid ...
//   MEMLEDGER=1 MEMLEDGER_STACKS=1 ./tracked_device   ... and the stack that allocated it
#include <cstdint>
#include <cstdio>
#include <vector>

#include <memledger/memledger.hpp>

namespace {

constexpr std::uint32_t kDevice = 0;

struct Buffer {
  std::uint64_t id;
  std::uint64_t address;
  std::uint64_t size;
};

// Device DRAM from a bump pointer. What matters is where the hooks sit.
class DramAllocator {
 public:
  Buffer Allocate(std::uint64_t size) {
    const Buffer buffer{next_id_++, next_address_, size};
    next_address_ += size;
    // After the allocator chose the address.
    memledger::Alloc(kDevice, memledger::MemType::kDram, buffer.id, buffer.address, buffer.size);
    return buffer;
  }
  void Free(const Buffer& buffer) {
    // Before the address goes back to the allocator.
    memledger::Free(kDevice, memledger::MemType::kDram, buffer.id, buffer.address);
  }

 private:
  std::uint64_t next_id_ = 1;  // ids unique while a buffer lives: exact books under any hook order
  std::uint64_t next_address_ = 0x10000000;
};

// The leak: allocates a staging buffer and never frees it.
[[gnu::noinline]] void stage_input(DramAllocator& dram) {
  memledger::ScopedTag tag("staging");
  dram.Allocate(3 << 20);
}

}  // namespace

int main() {
  // Reports name a leak by the code that asked the allocator (stage_input),
  // not by the allocator itself. An inlined call's frame carries its bare
  // name ("Allocate"), a called one its whole name.
  memledger::SkipFrames("DramAllocator::|^Allocate$");
  memledger::OpenDevice(kDevice, "example0", {{memledger::MemType::kDram, 1ull << 30}});
  DramAllocator dram;
  std::vector<Buffer> weights;
  {
    memledger::ScopedTag tag("weights");
    for (int layer = 0; layer < 4; ++layer) weights.push_back(dram.Allocate(1 << 20));
  }
  stage_input(dram);
  for (const Buffer& buffer : weights) dram.Free(buffer);
  memledger::CloseDevice(kDevice);  // what is still live becomes this process's leaks
  std::printf("tracked_device: 5 buffers allocated, 4 freed; tracking %s\n", memledger_enabled() ? "on" : "off");
  return 0;
}
