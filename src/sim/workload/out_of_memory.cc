// out_of_memory.cc — allocation and launch that throw on a full device.
#include "sim/workload/out_of_memory.h"

#include <optional>

#include <fmt/format.h>

#include "memledger/memledger.hpp"

namespace memledger::sim {

Buffer AllocateOrThrow(Device& device, MemType type, std::uint64_t size, std::uint64_t page_size) {
  std::optional<Buffer> buffer = Buffer::Allocate(device, type, size, page_size);
  if (!buffer) {
    throw OutOfMemory(fmt::format("device {}: {} bytes of {} do not fit", device.id(), size,
                                  TypeName(type)));
  }
  return std::move(*buffer);
}

void LaunchOrThrow(const Program& program, Device& device) {
  if (!program.Launch(device)) {
    throw OutOfMemory(fmt::format("device {}: program {} does not fit", device.id(), program.name()));
  }
}

}  // namespace memledger::sim
