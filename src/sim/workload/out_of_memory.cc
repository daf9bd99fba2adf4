// out_of_memory.cc — allocation and launch that throw on a full device.
#include "sim/workload/out_of_memory.h"

#include <optional>

#include <fmt/format.h>

#include "memledger/memledger.hpp"

namespace memledger::sim {

Buffer BufferOrThrow(std::optional<Buffer> buffer, const Device& device, MemType type, std::uint64_t size) {
  if (!buffer) {
    throw OutOfMemory(fmt::format("device {}: {} bytes of {} do not fit", device.id(), size, TypeName(type)));
  }
  return std::move(*buffer);
}

Buffer AllocateOrThrow(Device& device, MemType type, std::uint64_t size, std::uint64_t page_size) {
  return BufferOrThrow(Buffer::Allocate(device, type, size, page_size), device, type, size);
}

void LaunchOrThrow(const Program& program, Device& device) {
  if (!program.Launch(device)) {
    throw OutOfMemory(fmt::format("device {}: program {} does not fit", device.id(), program.name()));
  }
}

}  // namespace memledger::sim
