// leak_sites.cc — the bodies of the leak sites (kept out of line on purpose).
#include "sim/workload/leak_sites.h"

#include <optional>

#include "memledger/memledger.hpp"
#include "sim/allocation_site.h"
#include "sim/buffer.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kPage = 2048;

// Always inlined, so each leak site itself calls Buffer::Allocate and is the
// innermost workload frame of the allocation stack.
[[gnu::always_inline]] inline bool AllocateAndLeak(Device& device, MemType type, std::uint64_t size) {
  std::optional<Buffer> buffer = Buffer::Allocate(device, type, size, kPage);
  if (!buffer) return false;
  buffer->Leak();
  return true;
}

}  // namespace

bool leak_weights(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("weights");
  return AllocateAndLeak(device, MemType::kDram, 4 << 20);
}

bool leak_kv_cache(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("kv_cache");
  return AllocateAndLeak(device, MemType::kDram, 1 << 20);
}

bool leak_activation(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("activations");
  return AllocateAndLeak(device, MemType::kL1, 64 << 10);
}

bool LeakFromSite(Device& device, std::uint64_t leak) {
  switch (leak % 3) {
    case 0:
      return leak_weights(device);
    case 1:
      return leak_kv_cache(device);
    default:
      return leak_activation(device);
  }
}

}  // namespace memledger::sim
