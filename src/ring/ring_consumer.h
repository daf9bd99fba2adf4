// ring_consumer.h — the consumer side of an EventRing: drains published slots
// strictly in sequence, in batches, and sleeps when it has caught up.
//
// Not thread-safe: exactly one RingConsumer per ring, used by one thread.
// The producers may be hostile: a slot that is claimed but never published
// (a producer killed mid-write, or a lying head) stalls this ring only until
// `stuck_timeout`, after which the slot is abandoned and counted; nothing read
// from shared memory is trusted beyond its bounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

#include "ring/event_ring.h"

namespace memledger {

class RingConsumer {
 public:
  // `ring` must outlive the consumer.
  RingConsumer(EventRing& ring, std::chrono::nanoseconds stuck_timeout);

  // Copies up to out.size() published slots, in sequence, into `out`, then
  // releases their space to producers. Returns how many were copied.
  std::size_t Drain(std::span<Event> out);
  // Everything drained so far has been applied: lets memledger_flush() return.
  void MarkProcessed();
  // Sleeps until a producer rings the doorbell or `timeout` passes; returns at
  // once when a slot is ready.
  void WaitForData(std::chrono::nanoseconds timeout);
  // True when every sequence number claimed so far has been drained.
  bool CaughtUp() const;
  // Abandons every claimed-but-unpublished slot now (the producers are gone).
  void AbandonPending();

  std::uint64_t next_seq() const { return next_; }
  std::uint64_t abandoned_slots() const { return abandoned_; }

 private:
  bool AbandonIfStuck();

  EventRing& ring_;
  std::chrono::nanoseconds stuck_timeout_;
  std::uint64_t next_ = 1;          // next sequence number to drain
  std::uint64_t stuck_seq_ = 0;     // the unpublished seq we are waiting on
  std::chrono::steady_clock::time_point stuck_since_;
  std::uint64_t abandoned_ = 0;
};

}  // namespace memledger
