// failure_truth.cc — verdict names and the failure sequence.
#include "sim/failure_truth.h"

#include <atomic>

namespace memledger::sim {

const char* VerdictName(FailureVerdict verdict) {
  switch (verdict) {
    case FailureVerdict::kExhausted:
      return "exhausted";
    case FailureVerdict::kFragmented:
      return "fragmented";
    case FailureVerdict::kCbClash:
      return "cb_clash";
  }
  return "unknown";
}

std::uint64_t NextFailureSequence() {
  static std::atomic<std::uint64_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace memledger::sim
