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
  // A lane's tail may lag the commit taken over (it moves after it): the
  // records in between are skipped as the sequence has passed them.
  for (std::uint32_t l = 0; l < kRingLanes; ++l) {
    lanes_[l].position = std::max<std::uint64_t>(ring_.header().lanes[l].next.load(std::memory_order_acquire), 1);
    lanes_[l].committed = lanes_[l].position;
  }
}

bool RingConsumer::ReadLane(std::uint32_t lane) {
  LaneCursor& cursor = lanes_[lane];
  RingSlot* slot = &ring_.lane_slot_at(lane, cursor.position);
  // Acquire: pairs with the producer's release store in EventRing::PublishInLane.
  if (slot->seq.load(std::memory_order_acquire) != cursor.position) {
    // A lane's tail ahead of the cursor was moved by a consumer that
    // committed the records below it (one that lost the ring may move it
    // after this one read it): they are drained, and their slots may hold
    // later records already. Go on from the tail.
    const std::uint64_t tail = ring_.header().lanes[lane].next.load(std::memory_order_acquire);
    if (tail <= cursor.position) return false;
    cursor.position = tail;
    slot = &ring_.lane_slot_at(lane, cursor.position);
    if (slot->seq.load(std::memory_order_acquire) != cursor.position) return false;
  }
  cursor.seq = slot->body[0].load(std::memory_order_relaxed);  // the seq is in the time field (ring_layout.h)
  return true;
}

std::optional<bool> RingConsumer::LaneHolds(std::uint32_t l, std::uint64_t seq, std::uint64_t& skips) {
  LaneCursor& lane = lanes_[l];
  // Records the sequence has passed are skipped (0 included: never a seq).
  while ((lane.seq != 0 || ReadLane(l)) && lane.seq < seq) {
    if (++skips > ring_.lane_capacity()) return std::nullopt;
    ++lane.position;
    lane.seq = 0;
  }
  return lane.seq == seq;
}

std::optional<std::uint8_t> RingConsumer::Locate(std::uint64_t seq) {
  // Records come in runs from one place (a thread's lane; a thread that
  // writes shared slots, records with payloads): where the latest one came
  // from is looked at first. Then the lanes' records already read, then the
  // lanes not read, then the shared slot.
  const auto in_shared_slot = [&] {
    // Acquire: pairs with the producer's release store in EventRing::Publish.
    return ring_.slot_at(seq).seq.load(std::memory_order_acquire) == seq;
  };
  // Skipped records cost a look each: a hostile producer could publish them
  // as fast as they are skipped. So a look skips at most a lane's worth, and
  // then says not found (Drain returns what it has; the next goes on).
  std::uint64_t skips = 0;
  if (last_lane_ == kShared) {
    if (in_shared_slot()) return kShared;
  } else if (const std::optional<bool> holds = LaneHolds(last_lane_, seq, skips); !holds || *holds) {
    return holds ? std::optional<std::uint8_t>(last_lane_) : std::nullopt;
  }
  for (const bool read : {true, false}) {
    for (std::uint32_t l = 0; l < kRingLanes; ++l) {
      if (l == last_lane_ || (lanes_[l].seq != 0) != read) continue;
      const std::optional<bool> holds = LaneHolds(l, seq, skips);
      if (!holds) return std::nullopt;
      if (*holds) {
        last_lane_ = static_cast<std::uint8_t>(l);
        return last_lane_;
      }
    }
  }
  if (last_lane_ != kShared && in_shared_slot()) {
    last_lane_ = kShared;
    return kShared;
  }
  return std::nullopt;
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
  // The lanes' slots below their cursors are free now. Only forward: a
  // consumer that lost the ring after its last commit may move a lane's tail
  // late, and a tail moved back would keep a producer waiting for space that
  // its lane's new owner freed already. (Release: pairs with the producers'
  // acquire loads before they reuse the slots.)
  for (std::uint32_t l = 0; l < kRingLanes; ++l) {
    if (lanes_[l].position == lanes_[l].committed) continue;
    std::atomic<std::uint64_t>& tail = header.lanes[l].next;
    std::uint64_t now = tail.load(std::memory_order_relaxed);
    while (now < lanes_[l].position &&
           !tail.compare_exchange_weak(now, lanes_[l].position, std::memory_order_release, std::memory_order_relaxed)) {
    }
    lanes_[l].committed = lanes_[l].position;
  }
  if (header.producers_waiting.load(std::memory_order_seq_cst) != 0) {
    header.space_futex.fetch_add(1, std::memory_order_seq_cst);
    FutexWakeAll(header.space_futex);
  }
  return true;
}

std::size_t RingConsumer::Drain(std::span<Event> out) {
  if (lost_) return 0;
  if (sources_.size() < out.size()) sources_.resize(out.size());
  std::size_t n = 0;
  for (; n < out.size(); ++n) {
    const std::uint64_t seq = next_ + n;
    const std::optional<std::uint8_t> source = Locate(seq);
    if (!source) break;
    LaneCursor* lane = *source == kShared ? nullptr : &lanes_[*source];
    const RingSlot& slot = lane == nullptr ? ring_.slot_at(seq) : ring_.lane_slot_at(*source, lane->position);
    LoadSlot(slot, out[n]);
    // Still the record Locate found? A producer reuses a slot once a
    // consumer committed past it: this one, having lost the ring, or its
    // lane's tail moved late (ReadLane). Then it is not taken here. (After
    // LoadSlot's acquire loads.)
    if (slot.seq.load(std::memory_order_relaxed) != (lane == nullptr ? seq : lane->position)) {
      if (lane != nullptr) lane->seq = 0;
      break;
    }
    sources_[n] = *source;
    if (lane == nullptr) continue;
    out[n].seq = seq;
    out[n].time_ns = 0;
    out[n].payload_bytes = 0;  // a lane record is one slot
    ++lane->position;
    lane->seq = 0;
  }
  // The rest of a record still being published is read again next time
  // (shared slots only: a lane record is whole).
  const std::size_t whole = WholeRecordSlots(out.first(n));
  for (std::size_t i = n; i-- > whole;) {
    if (sources_[i] == kShared) continue;
    --lanes_[sources_[i]].position;
    lanes_[sources_[i]].seq = 0;
  }
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
  // A lying head cannot make us skip more than the ring holds.
  const std::uint64_t end = std::min(head, next_ + ring_.capacity() + kRingLanes * ring_.lane_capacity());
  const std::uint64_t from = next_;
  std::uint64_t next = from;
  while (next < end && !Locate(next)) ++next;
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
  if (!Locate(next_)) {
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
