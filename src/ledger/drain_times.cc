// drain_times.cc — see drain_times.h.
#include "ledger/drain_times.h"

#include <algorithm>

namespace memledger {

void DrainTimes::Looked(std::uint64_t now_ns) { looked_ns_ = std::max(looked_ns_, now_ns); }

void DrainTimes::BeginBatch(std::uint64_t drained_at_ns, std::size_t slots) {
  slots_ = std::max<std::size_t>(slots, 1);
  const std::uint64_t previous =
      looked_ns_ != 0 ? std::max(looked_ns_, last_ns_) : drained_at_ns - std::min<std::uint64_t>(drained_at_ns, slots_);
  from_ns_ = previous;
  last_ns_ = previous;  // every time given is later than the previous look
  const std::uint64_t span = drained_at_ns > previous ? drained_at_ns - previous : 0;
  // span * (slot + 1) / slots without overflowing: the remainder's product is below slots².
  step_ns_ = span / slots_;
  remainder_ns_ = span % slots_;
  looked_ns_ = std::max(looked_ns_, drained_at_ns);
}

std::uint64_t DrainTimes::TimeOf(std::size_t slot) {
  const std::uint64_t k = slot + 1;
  const std::uint64_t offset = step_ns_ * k + remainder_ns_ * k / slots_;
  last_ns_ = std::max(from_ns_ + offset, last_ns_ + 1);
  return last_ns_;
}

}  // namespace memledger
