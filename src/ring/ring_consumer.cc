// ring_consumer.cc — see ring_consumer.h.
#include "ring/ring_consumer.h"

#include <cstring>

#include "ring/futex.h"

namespace memledger {

RingConsumer::RingConsumer(EventRing& ring, std::chrono::nanoseconds stuck_timeout)
    : ring_(ring), stuck_timeout_(stuck_timeout) {
  next_ = ring_.header().tail.load(std::memory_order_acquire);
}

std::size_t RingConsumer::Drain(std::span<Event> out) {
  std::size_t n = 0;
  while (n < out.size()) {
    RingSlot& slot = ring_.slot_at(next_);
    // Acquire: pairs with the producer's release store in EventRing::Publish.
    if (slot.seq.load(std::memory_order_acquire) != next_) {
      if (n == 0 && AbandonIfStuck()) continue;
      break;
    }
    std::memcpy(static_cast<void*>(&out[n]), static_cast<const void*>(&slot), sizeof(Event));
    ++n;
    ++next_;
  }
  if (n != 0) {
    RingHeader& header = ring_.header();
    // Release: pairs with the producers' acquire loads of tail before reuse.
    header.tail.store(next_, std::memory_order_release);
    if (header.producers_waiting.load(std::memory_order_seq_cst) != 0) {
      header.space_futex.fetch_add(1, std::memory_order_seq_cst);
      FutexWakeAll(header.space_futex);
    }
  }
  return n;
}

bool RingConsumer::AbandonIfStuck() {
  // Only a sequence number that was claimed can be stuck.
  if (ring_.header().head.load(std::memory_order_acquire) <= next_) return false;
  const auto now = std::chrono::steady_clock::now();
  if (stuck_seq_ != next_) {
    stuck_seq_ = next_;
    stuck_since_ = now;
    return false;
  }
  if (now - stuck_since_ < stuck_timeout_) return false;
  ++abandoned_;
  ++next_;
  ring_.header().tail.store(next_, std::memory_order_release);
  return true;
}

void RingConsumer::AbandonPending() {
  const std::uint64_t head = ring_.header().head.load(std::memory_order_acquire);
  // A lying head cannot make us skip more than one ring's worth.
  const std::uint64_t end = std::min(head, next_ + ring_.capacity());
  while (next_ < end) {
    if (ring_.slot_at(next_).seq.load(std::memory_order_acquire) == next_) break;
    ++abandoned_;
    ++next_;
  }
  ring_.header().tail.store(next_, std::memory_order_release);
}

void RingConsumer::MarkProcessed() {
  RingHeader& header = ring_.header();
  // Release: pairs with the acquire load in memledger_flush().
  header.processed.store(next_, std::memory_order_release);
  if (header.flush_waiters.load(std::memory_order_seq_cst) != 0) {
    header.processed_futex.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.processed_futex);
  }
}

void RingConsumer::WaitForData(std::chrono::nanoseconds timeout) {
  RingHeader& header = ring_.header();
  const std::uint32_t bell = header.doorbell.load(std::memory_order_seq_cst);
  header.consumer_sleeping.store(1, std::memory_order_seq_cst);
  if (ring_.slot_at(next_).seq.load(std::memory_order_acquire) != next_) FutexWait(header.doorbell, bell, timeout);
  header.consumer_sleeping.store(0, std::memory_order_relaxed);
}

bool RingConsumer::CaughtUp() const {
  return ring_.header().head.load(std::memory_order_acquire) <= next_;
}

}  // namespace memledger
