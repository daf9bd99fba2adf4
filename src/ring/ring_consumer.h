// ring_consumer.h — the consumer side of an EventRing: drains published
// slots strictly in sequence, in batches of whole records, and sleeps when it
// has caught up.
//
// Not thread-safe: one RingConsumer drains a ring at a time, used by one
// thread — the ring's owner (ring_ownership.h). Drain copies whole records
// and commits them with a CAS of tail in the owner's epoch; the caller
// applies what Drain returned only then. When the CAS fails another
// consumer took the ring: nothing of that batch is returned and lost() says
// so for good. Commits fall on record boundaries only, so a takeover never
// splits a record: each is applied by exactly one consumer.
//
// Records come from the lanes and the shared slots (ring_layout.h); Drain
// takes them in sequence wherever each is: first the lanes' next records it
// already read (a lane's records are in sequence), then the lanes it has not
// read lately, then the shared slot of the seq. A lane record the sequence
// has passed (a taker's lane tail lags the commit it took over; a hostile
// producer's) is skipped. A lane record is one slot: a payload it claims is
// ignored, it stands alone.
//
// A slot that is claimed but not yet published belongs to a producer that may
// be stopped (SIGSTOP, a debugger, a cgroup freezer) and publish it any time
// later: the consumer waits for it however long that takes, stalling only
// this ring. Only the owner, once it knows every producer is gone (the
// process exited, or this process is shutting down), gives such slots up
// with AbandonPending, which counts them. The producers may be hostile:
// nothing read from shared memory is trusted beyond its bounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ring/event_ring.h"

namespace memledger {

// Why RingConsumer::WaitForData returned.
enum class WakeReason : std::uint8_t {
  kSlotReady,  // the next slot was published already: it did not sleep
  kDoorbell,   // a producer rang the doorbell (its ring is backing up) since the wait began
  kTimeout,    // neither: the timeout passed, or the sleep ended early (futex waits may)
};

class RingConsumer {
 public:
  // Drains `ring` (which must outlive the consumer) from its tail, as the
  // owner of `epoch`.
  RingConsumer(EventRing& ring, std::uint16_t epoch);

  // Copies up to out.size() published slots, in sequence, into `out` and
  // commits the whole records among them, releasing their space to
  // producers. Returns how many slots were committed (out's first ones); 0
  // when none, or when the ring was lost. A record longer than out.size()
  // is never committed: out must hold kMaxRecordSlots at least.
  std::size_t Drain(std::span<Event> out);
  // Everything drained so far has been applied: lets memledger_flush() return.
  void MarkProcessed();
  // Sleeps until a producer rings the doorbell or `timeout` passes; returns at
  // once when a slot is ready. Says which (a drain loop may ignore it).
  WakeReason WaitForData(std::chrono::nanoseconds timeout);
  // True when every sequence number claimed so far has been drained.
  bool CaughtUp() const;
  // Abandons every claimed-but-unpublished slot now. Only when the producers
  // are gone: a live producer may still publish it.
  void AbandonPending();

  // Goes on as the owner of `epoch`, from next_seq(): only after this
  // consumer's ring was offered and taken back with no drain between.
  void Reown(std::uint16_t epoch) {
    epoch_ = epoch;
    lost_ = false;
  }

  // True once another consumer took the ring (a commit failed, or Drain
  // found nothing to commit and the epoch is no longer this consumer's).
  bool lost() const { return lost_; }
  std::uint16_t epoch() const { return epoch_; }
  std::uint64_t next_seq() const { return next_; }
  std::uint64_t abandoned_slots() const { return abandoned_; }
  // Records the producers' full ring refused (OnFull::kDrop), as the ring
  // header counts them: the producers' word, about their own books.
  std::uint64_t dropped() const { return ring_.header().dropped.load(std::memory_order_relaxed); }

  // The longest record in slots: a header and its continuation slots.
  static constexpr std::size_t kMaxRecordSlots = 1 + ContinuationSlots(kMaxPayloadBytes);

 private:
  // What Drain knows of one lane: its next position, and the seq of the
  // record there once read (published).
  struct LaneCursor {
    std::uint64_t position = 1;
    std::uint64_t seq = 0;        // 0: not read yet
    std::uint64_t committed = 0;  // the position the lane's tail was last moved to
  };
  static constexpr std::uint8_t kShared = 0xff;  // a drained slot's source: the shared slots

  // Where record `seq` is, now: a lane (its index) whose next record it is,
  // kShared when its shared slot holds it, nullopt when it is not published.
  // Skips lane records the sequence has passed.
  std::optional<std::uint8_t> Locate(std::uint64_t seq);
  // Reads lane `lane`'s next record's seq when published; false when not.
  bool ReadLane(std::uint32_t lane);
  // Whether lane `l`'s next record is `seq`, once the records the sequence
  // passed are skipped; nullopt when `skips` (this look's) passed a lane's worth.
  std::optional<bool> LaneHolds(std::uint32_t l, std::uint64_t seq, std::uint64_t& skips);
  // Moves tail to `next` in this consumer's epoch, and then the lanes' tails
  // to the cursors; false (lost) when it is not the owner.
  bool Commit(std::uint64_t next);

  EventRing& ring_;
  std::uint16_t epoch_;
  std::uint64_t next_ = 1;  // next sequence number to drain; always a record boundary
  std::uint64_t abandoned_ = 0;
  bool lost_ = false;
  LaneCursor lanes_[kRingLanes];
  std::uint8_t last_lane_ = 0;  // where the latest record came from (a lane, or kShared): looked at first
  std::vector<std::uint8_t> sources_;  // Drain's: each drained slot's lane, or kShared
};

}  // namespace memledger
