// cb_layout.cc — circular buffers from L1's base upwards.
#include "sim/cb_layout.h"

namespace memledger::sim {

CbLayout LayOutCircularBuffers(const BankRegion& l1, const std::vector<CircularBufferSpec>& circular_buffers) {
  const std::uint64_t mask = static_cast<std::uint64_t>(l1.alignment) - 1;
  CbLayout layout{{}, l1.base};
  layout.buffers.reserve(circular_buffers.size());
  for (const CircularBufferSpec& spec : circular_buffers) {
    const std::uint64_t size = (spec.size + mask) & ~mask;
    layout.buffers.push_back({layout.end, size});
    layout.end += size;
  }
  return layout;
}

}  // namespace memledger::sim
