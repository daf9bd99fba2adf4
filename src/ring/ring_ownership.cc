// ring_ownership.cc — see ring_ownership.h.
#include "ring/ring_ownership.h"

namespace memledger {
namespace {

// Raises the epoch by `step`, whatever the seq (the owner may be committing).
std::uint16_t RaiseEpoch(RingHeader& header, std::uint16_t step) {
  std::uint64_t tail = header.tail.load(std::memory_order_acquire);
  for (;;) {
    const auto epoch = static_cast<std::uint16_t>(TailEpoch(tail) + step);
    // acq_rel: pairs with the committing consumers' CAS on tail.
    if (header.tail.compare_exchange_weak(tail, TailWord(epoch, TailSeq(tail)), std::memory_order_acq_rel)) {
      return epoch;
    }
  }
}

// Raises `from` by `step` only while the epoch is still `from`.
bool RaiseEpochFrom(RingHeader& header, std::uint16_t from, std::uint16_t step, std::uint16_t* raised) {
  std::uint64_t tail = header.tail.load(std::memory_order_acquire);
  while (TailEpoch(tail) == from) {
    const auto epoch = static_cast<std::uint16_t>(from + step);
    if (header.tail.compare_exchange_weak(tail, TailWord(epoch, TailSeq(tail)), std::memory_order_acq_rel)) {
      *raised = epoch;
      return true;
    }
  }
  return false;
}

}  // namespace

std::uint16_t TakeRing(RingHeader& header) { return RaiseEpoch(header, 2); }
std::uint16_t OfferRing(RingHeader& header) { return RaiseEpoch(header, 1); }
bool AcceptRing(RingHeader& header, std::uint16_t offered, std::uint16_t* owned) {
  return RaiseEpochFrom(header, offered, 1, owned);
}
bool ReclaimRing(RingHeader& header, std::uint16_t offered, std::uint16_t* owned) {
  return RaiseEpochFrom(header, offered, 2, owned);
}

}  // namespace memledger
