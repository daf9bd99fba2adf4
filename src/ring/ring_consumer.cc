// ring_consumer.cc — see ring_consumer.h.
#include "ring/ring_consumer.h"

#include <algorithm>
#include <cstring>

#include "ring/futex.h"

namespace memledger {
namespace {

// How many of `slots` (starting on a record's header) make whole records,
// framed as RecordAssembler frames them: a header whose payload is in bounds
// is followed by its continuation slots; any other slot stands alone.
std::size_t WholeRecordSlots(std::span<const Event> slots) {
  std::size_t whole = 0;
  while (whole < slots.size()) {
    const std::uint32_t payload = slots[whole].payload_bytes;
    const std::size_t span = 1 + (payload <= kMaxPayloadBytes ? ContinuationSlots(payload) : 0);
    if (whole + span > slots.size()) break;
    whole += span;
  }
  return whole;
}

}  // namespace

RingConsumer::RingConsumer(EventRing& ring, std::uint16_t epoch) : ring_(ring), epoch_(epoch) {
  next_ = TailSeq(ring_.header().tail.load(std::memory_order_acquire));
}

bool RingConsumer::Commit(std::uint64_t next) {
  RingHeader& header = ring_.header();
  std::uint64_t expected = TailWord(epoch_, next_);
  // acq_rel: the release pairs with the producers' acquire loads of tail
  // before they reuse the space; the acquire with a taker's CAS (ring_ownership.h).
  if (!header.tail.compare_exchange_strong(expected, TailWord(epoch_, next), std::memory_order_acq_rel)) {
    lost_ = true;
    return false;
  }
  next_ = next;
  if (header.producers_waiting.load(std::memory_order_seq_cst) != 0) {
    header.space_futex.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.space_futex);
  }
  return true;
}

std::size_t RingConsumer::Drain(std::span<Event> out) {
  if (lost_) return 0;
  std::size_t n = 0;
  while (n < out.size()) {
    RingSlot& slot = ring_.slot_at(next_ + n);
    // Acquire: pairs with the producer's release store in EventRing::Publish.
    if (slot.seq.load(std::memory_order_acquire) != next_ + n) break;
    std::memcpy(static_cast<void*>(&out[n]), static_cast<const void*>(&slot), sizeof(Event));
    ++n;
  }
  // The rest of a record still being published is read again next time.
  const std::size_t whole = WholeRecordSlots(out.first(n));
  if (whole == 0) {
    // Nothing to commit: still owned? (Acquire: pairs with a taker's CAS.)
    lost_ = TailEpoch(ring_.header().tail.load(std::memory_order_acquire)) != epoch_;
    return 0;
  }
  return Commit(next_ + whole) ? whole : 0;
}

void RingConsumer::AbandonPending() {
  if (lost_) return;
  const std::uint64_t head = ring_.header().head.load(std::memory_order_acquire);
  // A lying head cannot make us skip more than one ring's worth.
  const std::uint64_t end = std::min(head, next_ + ring_.capacity());
  const std::uint64_t from = next_;
  std::uint64_t next = from;
  while (next < end && ring_.slot_at(next).seq.load(std::memory_order_acquire) != next) ++next;
  if (next != from && Commit(next)) abandoned_ += next - from;
}

void RingConsumer::MarkProcessed() {
  RingHeader& header = ring_.header();
  // Only forward: a consumer that lost the ring may mark late.
  std::uint64_t processed = header.processed.load(std::memory_order_relaxed);
  // Release: pairs with the acquire load in memledger_flush().
  while (processed < next_ &&
         !header.processed.compare_exchange_weak(processed, next_, std::memory_order_release,
                                                 std::memory_order_relaxed)) {
  }
  if (header.flush_waiters.load(std::memory_order_seq_cst) != 0) {
    header.processed_futex.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.processed_futex);
  }
}

WakeReason RingConsumer::WaitForData(std::chrono::nanoseconds timeout) {
  RingHeader& header = ring_.header();
  const std::uint32_t bell = header.doorbell.load(std::memory_order_seq_cst);
  header.consumer_sleeping.store(1, std::memory_order_seq_cst);
  WakeReason reason = WakeReason::kSlotReady;
  if (ring_.slot_at(next_).seq.load(std::memory_order_acquire) != next_) {
    FutexWait(header.doorbell, bell, timeout);
    reason = header.doorbell.load(std::memory_order_relaxed) != bell ? WakeReason::kDoorbell : WakeReason::kTimeout;
  }
  header.consumer_sleeping.store(0, std::memory_order_relaxed);
  return reason;
}

bool RingConsumer::CaughtUp() const {
  return ring_.header().head.load(std::memory_order_acquire) <= next_;
}

}  // namespace memledger
