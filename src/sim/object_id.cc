// object_id.cc — the process-wide object id counter.
#include "sim/object_id.h"

#include <atomic>

namespace memledger::sim {

std::uint64_t NextObjectId() {
  static std::atomic<std::uint64_t> last{0};
  // Relaxed: only uniqueness matters, which fetch_add gives in any order.
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace memledger::sim
