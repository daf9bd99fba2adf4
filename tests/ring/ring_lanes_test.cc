// ring_lanes_test.cc — the ring's lanes, one thread at a time
// (src/ring/event_ring.h, ring_consumer.h): a thread's Put goes into a lane
// of its own and comes out in sequence with the shared slots' records; a
// thread that finds every lane taken goes shared, and an exiting thread gives
// its lane back; a full lane overflows into the shared slots, and only when
// those are full too does the drop policy refuse (claiming no seq); a
// consumer that takes over skips the lane records its predecessor committed;
// hostile lane records neither hang the consumer nor get applied twice; a
// lane tail moved late by a consumer that lost the ring does not stop the
// one that took it.
#include <gtest/gtest.h>

#include <barrier>
#include <cstring>
#include <thread>
#include <vector>

#include "ring/event_ring.h"
#include "ring/ring_consumer.h"
#include "ring/ring_ownership.h"
#include "ring_test_util.h"

namespace memledger {
namespace {

using ring_test::MakeRing;
using ring_test::Stamped;

// True when `e` is Stamped(value) as a Put delivers it: its seq the ring's,
// its time 0 (a consumer gives times).
bool IsPut(const Event& e, std::uint64_t value) {
  Event expected = Stamped(value);
  expected.seq = e.seq;
  expected.time_ns = 0;
  return std::memcmp(&expected, &e, sizeof(Event)) == 0;
}

// The lane whose slot at `position` holds record `seq`, or -1.
int LaneHolding(EventRing& ring, std::uint64_t position, std::uint64_t seq) {
  for (std::uint32_t l = 0; l < kRingLanes; ++l) {
    RingSlot& slot = ring.lane_slot_at(l, position);
    if (slot.seq.load() == position && slot.body[0].load() == seq) return static_cast<int>(l);
  }
  return -1;
}

bool InSharedSlot(EventRing& ring, std::uint64_t seq) { return ring.slot_at(seq).seq.load() == seq; }

std::vector<Event> DrainAll(RingConsumer& consumer) {
  std::vector<Event> out;
  std::vector<Event> batch(64);
  while (const std::size_t n = consumer.Drain(batch)) out.insert(out.end(), batch.begin(), batch.begin() + n);
  return out;
}

TEST(RingLanes, APutGoesIntoTheThreadsLaneAndComesOutInSequence) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (std::uint64_t v = 1; v <= 3; ++v) EXPECT_EQ(ring->Put(Stamped(v)), v);
  const int lane = LaneHolding(*ring, 1, 1);
  ASSERT_GE(lane, 0) << "the first Put of a thread takes a lane";
  EXPECT_EQ(LaneHolding(*ring, 3, 3), lane) << "and keeps it";
  EXPECT_FALSE(InSharedSlot(*ring, 1));
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(consumer);
  ASSERT_EQ(got.size(), 3u);
  for (std::uint64_t v = 1; v <= 3; ++v) {
    EXPECT_EQ(got[v - 1].seq, v);
    EXPECT_TRUE(IsPut(got[v - 1], v)) << "record " << v;
  }
  EXPECT_TRUE(consumer.CaughtUp());
  EXPECT_EQ(ring->header().lanes[lane].next.load(), 4u) << "the lane's tail moved past what was drained";
}

TEST(RingLanes, LaneRecordsAndSharedRecordsWithPayloadsInterleaveInSequence) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  EXPECT_EQ(ring->Put(Stamped(1)), 1u);
  // A record with one continuation slot, in the shared slots.
  const std::uint64_t seq = ring->Claim(2);
  ASSERT_EQ(seq, 2u);
  Event header = Stamped(2);
  header.payload_bytes = kContinuationPayload;
  Event continuation{};
  std::memset(reinterpret_cast<unsigned char*>(&continuation) + sizeof(std::uint64_t), 0xab, kContinuationPayload);
  ring->Publish(seq, header);
  ring->Publish(seq + 1, continuation);
  EXPECT_EQ(ring->Put(Stamped(4)), 4u);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(consumer);
  ASSERT_EQ(got.size(), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) EXPECT_EQ(got[i].seq, i + 1);
  EXPECT_TRUE(IsPut(got[0], 1));
  EXPECT_EQ(got[1].payload_bytes, kContinuationPayload);
  EXPECT_EQ(reinterpret_cast<const unsigned char*>(&got[2])[sizeof(std::uint64_t)], 0xab);
  EXPECT_TRUE(IsPut(got[3], 4));
}

TEST(RingLanes, AThreadThatFindsEveryLaneTakenGoesSharedAndAnExitingThreadGivesItsLaneBack) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  std::barrier all_put(kRingLanes + 1);
  std::vector<std::thread> owners;
  for (std::uint32_t t = 0; t < kRingLanes; ++t) {
    owners.emplace_back([&ring, &all_put, t] {
      ring->Put(Stamped(t));
      all_put.arrive_and_wait();  // holds its lane until every owner has one
      all_put.arrive_and_wait();
    });
  }
  all_put.arrive_and_wait();
  std::uint64_t late = 0;
  std::thread([&] { late = ring->Put(Stamped(100)); }).join();
  EXPECT_TRUE(InSharedSlot(*ring, late)) << "every lane was taken";
  all_put.arrive_and_wait();
  for (std::thread& t : owners) t.join();
  std::uint64_t after = 0;
  std::thread([&] { after = ring->Put(Stamped(101)); }).join();
  EXPECT_FALSE(InSharedSlot(*ring, after)) << "the owners gave their lanes back as they exited";
  EXPECT_GE(LaneHolding(*ring, 2, after), 0) << "a lane goes on from its position";
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(consumer);
  ASSERT_EQ(got.size(), kRingLanes + 2);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].seq, i + 1);
}

// Fills this thread's lane and then the shared slots (no consumer): the
// records past the lane go shared, without waiting. Returns how many were put.
std::uint64_t FillLaneThenShared(EventRing& ring) {
  const std::uint64_t lane = ring.lane_capacity();
  for (std::uint64_t v = 1; v <= lane; ++v) EXPECT_EQ(ring.Put(Stamped(v)), v);
  EXPECT_GE(LaneHolding(ring, lane, lane), 0);
  // A shared record's seq stays within the shared slots of the consumer's tail (1).
  for (std::uint64_t v = lane + 1; v <= ring.capacity(); ++v) {
    EXPECT_EQ(ring.Put(Stamped(v)), v);
    EXPECT_TRUE(InSharedSlot(ring, v)) << "the lane is full: record " << v << " goes shared";
  }
  return ring.capacity();
}

TEST(RingLanes, AFullLaneOverflowsIntoTheSharedSlotsAndRecordsComeOutInSequence) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  const std::uint64_t put = FillLaneThenShared(*ring);
  EXPECT_EQ(ring->header().dropped.load(), 0u);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(consumer);
  ASSERT_EQ(got.size(), put);
  for (std::uint64_t i = 0; i < put; ++i) EXPECT_TRUE(got[i].seq == i + 1 && IsPut(got[i], i + 1)) << i;
  const std::uint64_t next = ring->Put(Stamped(put + 1));
  EXPECT_EQ(next, put + 1);
  EXPECT_FALSE(InSharedSlot(*ring, next)) << "drained, the lane takes records again";
}

TEST(RingLanes, UnderTheDropPolicyOnlyAFullLaneAndFullSharedSlotsRefuseAndARefusalClaimsNoSeq) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kDrop);
  ASSERT_NE(ring, nullptr);
  const std::uint64_t put = FillLaneThenShared(*ring);
  EXPECT_EQ(ring->header().dropped.load(), 0u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(ring->Put(Stamped(0)), 0u);
  EXPECT_EQ(ring->header().dropped.load(), 10u);
  EXPECT_EQ(ring->header().head.load(), put + 1) << "a refused record holds no seq the consumer would wait for";
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  EXPECT_EQ(DrainAll(consumer).size(), put);
  EXPECT_TRUE(consumer.CaughtUp());
  EXPECT_EQ(ring->Put(Stamped(7)), put + 1) << "drained, the ring takes records again";
}

// Five records Put by this thread, drained by a first consumer; their lane,
// or -1 (then the test has failed).
int FiveDrainedFromALane(EventRing& ring) {
  for (std::uint64_t v = 1; v <= 5; ++v) ring.Put(Stamped(v));
  const int lane = LaneHolding(ring, 1, 1);
  EXPECT_GE(lane, 0);
  RingConsumer first = ring_test::ConsumerOf(ring);
  EXPECT_EQ(DrainAll(first).size(), 5u);
  return lane;
}

TEST(RingLanes, ATakerSkipsTheLaneRecordsItsPredecessorCommitted) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  const int lane = FiveDrainedFromALane(*ring);
  ASSERT_GE(lane, 0);
  // As if the first consumer had committed but not yet moved the lane's tail.
  ring->header().lanes[lane].next.store(1);
  for (std::uint64_t v = 6; v <= 8; ++v) ring->Put(Stamped(v));
  RingConsumer taker = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(taker);
  ASSERT_EQ(got.size(), 3u);
  for (std::uint64_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i].seq, 6 + i);
    EXPECT_TRUE(IsPut(got[i], 6 + i));
  }
  EXPECT_EQ(ring->header().lanes[lane].next.load(), 9u);
}

// A consumer that lost the ring may move a lane's tail after the taker read
// it; the lane's producer then reuses the slots below it, and the taker goes
// on from the tail.
TEST(RingLanes, ATakerGoesOnFromALaneTailMovedAfterItLooked) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  const int lane = FiveDrainedFromALane(*ring);
  ASSERT_GE(lane, 0);
  ring->header().lanes[lane].next.store(1);  // as the taker reads it: the first consumer's move not yet made
  RingConsumer taker(*ring, TakeRing(ring->header()));
  ring->header().lanes[lane].next.store(6);  // the first consumer's late move
  const std::uint64_t cap = ring->lane_capacity();
  for (std::uint64_t v = 6; v <= 5 + cap; ++v) ASSERT_EQ(ring->Put(Stamped(v)), v);
  const std::vector<Event> got = DrainAll(taker);
  ASSERT_EQ(got.size(), cap) << "every record is published; none may be waited for";
  for (std::uint64_t i = 0; i < cap; ++i) EXPECT_TRUE(IsPut(got[i], 6 + i)) << "record " << 6 + i;
  EXPECT_EQ(taker.next_seq(), 6 + cap);
}

TEST(RingLanes, HostileLaneRecordsNeitherHangTheConsumerNorComeOutTwice) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  // A hostile producer writes lane 5 by hand: a record with seq 0, one the
  // sequence will never reach, and (after the real ones) nothing more.
  auto write_lane = [&](std::uint64_t position, std::uint64_t seq, std::uint32_t payload) {
    RingSlot& slot = ring->lane_slot_at(5, position);
    Event e = Stamped(999);
    e.time_ns = seq;  // a lane record's seq is in its time field
    e.payload_bytes = payload;
    StoreSlotWords(slot, e);
    slot.seq.store(position);
  };
  write_lane(1, 0, 0);
  write_lane(2, std::uint64_t{1} << 60, 0);
  // The real records come from another thread's lane (this thread may own
  // lane 5 otherwise) and claim a payload they do not have.
  std::thread([&] {
    Event e = Stamped(1);
    e.payload_bytes = 2 * kContinuationPayload;
    ring->Put(e);
    ring->Put(Stamped(2));
  }).join();
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::vector<Event> got = DrainAll(consumer);
  ASSERT_EQ(got.size(), 2u) << "the far-ahead record waits; the seq-0 one was skipped";
  EXPECT_EQ(got[0].seq, 1u);
  EXPECT_EQ(got[0].payload_bytes, 0u) << "a lane record is one slot";
  EXPECT_TRUE(IsPut(got[1], 2));
  EXPECT_TRUE(consumer.CaughtUp());
}

}  // namespace
}  // namespace memledger
