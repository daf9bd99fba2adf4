// ring_consumer_test.cc — RingConsumer on one thread: draining in sequence
// across many wrap-arounds, batch bounds, releasing space, waiting for slots
// that are claimed but not published yet, and giving them up only when told
// the producers are gone (src/ring/ring_consumer.h).
#include "ring/ring_consumer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "ring_test_util.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;
using ring_test::IsStamped;
using ring_test::MakeRing;
using ring_test::PublishStamped;
using ring_test::Stamped;

TEST(RingConsumer, StartsAtTheRingsTail) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 5; ++i) PublishStamped(*ring, i);
  {
    RingConsumer first = ring_test::ConsumerOf(*ring);
    std::vector<Event> out(3);
    ASSERT_EQ(first.Drain(out), 3u);
  }
  RingConsumer second = ring_test::ConsumerOf(*ring);
  EXPECT_EQ(second.next_seq(), 4u) << "a new consumer resumes where the last one released";
}

TEST(RingConsumer, DrainStopsAtTheBatchSizeAndReleasesTail) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 10; ++i) PublishStamped(*ring, i);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(4);
  EXPECT_EQ(consumer.Drain(out), 4u);
  EXPECT_EQ(TailSeq(ring->header().tail.load()), 5u);
  EXPECT_FALSE(consumer.CaughtUp());
  EXPECT_EQ(consumer.Drain(out), 4u);
  EXPECT_EQ(consumer.Drain(out), 2u);
  EXPECT_EQ(out[1].seq, 10u);
  EXPECT_TRUE(IsStamped(out[1], 9));
  EXPECT_EQ(consumer.Drain(out), 0u);
  EXPECT_EQ(TailSeq(ring->header().tail.load()), 11u);
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumer, MarkProcessedPublishesHowFarTheLedgerGot) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 7; ++i) PublishStamped(*ring, i);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(5);
  ASSERT_EQ(consumer.Drain(out), 5u);
  EXPECT_EQ(ring->header().processed.load(), 1u) << "drained is not yet processed";
  consumer.MarkProcessed();
  EXPECT_EQ(ring->header().processed.load(), 6u);
}

// One producer and the consumer take turns on one thread; bursts of every
// size up to a full ring and claims of 1 to 75 slots wrap around the slot
// array many times. Every seq must come out once, in order, intact.
TEST(RingConsumer, SingleProducerWrapsAroundManyTimesLosslessly) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(kMinRingSlots);
  const std::uint32_t claim_sizes[] = {1, 2, 3, 75, 1, 7, 74};
  std::uint64_t produced = 0, consumed = 0, claims = 0;
  const std::uint64_t total = 50 * kMinRingSlots;
  for (std::uint64_t burst = 1; produced < total; burst = burst * 5 % 1031 + 1) {
    // Fill at most the whole ring: the consumer is caught up, so this never blocks.
    const std::uint64_t burst_end = produced + std::min<std::uint64_t>(burst, kMinRingSlots);
    while (produced < burst_end) {
      const std::uint32_t n =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(claim_sizes[claims++ % 7], burst_end - produced));
      const std::uint64_t seq = ring->Claim(n);
      ASSERT_EQ(seq, produced + 1);
      // Publish a multi-slot claim back to front: the consumer must still read in order.
      for (std::uint32_t i = n; i-- > 0;) ring->Publish(seq + i, Stamped(seq + i));
      produced += n;
    }
    for (std::size_t n; (n = consumer.Drain(out)) != 0;) {
      for (std::size_t i = 0; i < n; ++i) {
        ++consumed;
        ASSERT_EQ(out[i].seq, consumed);
        ASSERT_TRUE(IsStamped(out[i], consumed)) << "seq " << consumed;
      }
    }
    ASSERT_EQ(consumed, produced);
    ASSERT_TRUE(consumer.CaughtUp());
  }
  EXPECT_GE(consumed, 50 * kMinRingSlots);
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_EQ(ring->header().dropped.load(), 0u);
}

TEST(RingConsumer, SlotHoldingAnotherLapIsNotRead) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  ring->Claim(1);
  // A hostile producer writes seq 1 + capacity into the slot of seq 1.
  ring->slot_at(1).seq.store(1 + kMinRingSlots);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(4);
  EXPECT_EQ(consumer.Drain(out), 0u);
  EXPECT_EQ(consumer.next_seq(), 1u);
}

// --- slots that are claimed but not published yet ---------------------------

// A producer stopped mid-hook (SIGSTOP, a debugger) publishes whenever it is
// resumed, however late: the consumer waits for it and never skips its slot.
TEST(RingConsumerUnpublishedSlot, IsWaitedForHoweverLongItTakes) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::uint64_t stopped = ring->Claim(1);  // its producer is stopped before publishing
  PublishStamped(*ring, 2);
  PublishStamped(*ring, 3);
  std::vector<Event> out(8);
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(consumer.Drain(out), 0u) << "drained past a slot its producer may still publish";
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_EQ(TailSeq(ring->header().tail.load()), 1u) << "the stopped producer's slot is not given back";
  ring->Publish(stopped, Stamped(1));  // resumed
  ASSERT_EQ(consumer.Drain(out), 3u);
  EXPECT_TRUE(IsStamped(out[0], 1));
  EXPECT_TRUE(IsStamped(out[1], 2));
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerUnpublishedSlot, NothingIsAbandonedWhenNothingIsClaimed) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(8);
  EXPECT_EQ(consumer.Drain(out), 0u);
  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_EQ(consumer.next_seq(), 1u);
}

TEST(RingConsumerAbandonPending, SkipsUnpublishedSlotsUpToThePublishedOne) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  PublishStamped(*ring, 1);           // seq 1
  ASSERT_EQ(ring->Claim(2), 2u);      // seq 2, 3: never published
  PublishStamped(*ring, 4);           // seq 4

  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), 0u) << "seq 1 is published: nothing to abandon yet";
  std::vector<Event> out(8);
  ASSERT_EQ(consumer.Drain(out), 1u);
  EXPECT_EQ(out[0].seq, 1u);

  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), 2u);
  EXPECT_EQ(consumer.next_seq(), 4u);
  EXPECT_EQ(TailSeq(ring->header().tail.load()), 4u);
  ASSERT_EQ(consumer.Drain(out), 1u);
  EXPECT_EQ(out[0].seq, 4u);
  EXPECT_TRUE(IsStamped(out[0], 4));
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerAbandonPending, TrailingUnpublishedSlotsAreAllAbandoned) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  ASSERT_EQ(ring->Claim(5), 1u);
  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), 5u);
  EXPECT_EQ(consumer.next_seq(), 6u);
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerAbandonPending, LyingHeadSkipsAtMostWhatTheRingHolds) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  ring->header().head.store(1 + 100 * kMinRingSlots);  // hostile producer
  consumer.AbandonPending();
  // Records claimed and not yet published fit in the shared slots and the lanes.
  const std::uint64_t holds = kMinRingSlots + kRingLanes * ring->lane_capacity();
  EXPECT_EQ(consumer.abandoned_slots(), holds);
  EXPECT_EQ(consumer.next_seq(), 1 + holds);
}

TEST(RingConsumer, WaitForDataReturnsAtOnceWhenASlotIsReady) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  PublishStamped(*ring, 1);
  EXPECT_EQ(consumer.WaitForData(60s), WakeReason::kSlotReady) << "a consumer with a slot ready does not sleep";
  EXPECT_EQ(ring->header().consumer_sleeping.load(), 0u);
}

TEST(RingConsumer, WaitForDataHonoursItsTimeoutWhenIdle) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  EXPECT_EQ(consumer.WaitForData(20ms), WakeReason::kTimeout) << "no slot and no doorbell";
  EXPECT_EQ(ring->header().consumer_sleeping.load(), 0u);
}


// --- ownership: the epoch in tail (ring_ownership.h) -------------------------

// A record with `payload_bytes` claimed whole; its slots are published by the caller.
std::uint64_t ClaimRecord(EventRing& ring, std::uint32_t payload_bytes) {
  return ring.Claim(1 + ContinuationSlots(payload_bytes));
}
void PublishRecordSlot(EventRing& ring, std::uint64_t header_seq, std::uint32_t payload_bytes, std::uint64_t seq) {
  Event e = Stamped(seq);
  if (seq == header_seq) e.payload_bytes = payload_bytes;
  ring.Publish(seq, e);
}

TEST(RingOwnership, CommitsFallOnRecordBoundariesOnly) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  PublishStamped(*ring, 1);
  const std::uint64_t header = ClaimRecord(*ring, 100);  // a header and two continuation slots
  PublishRecordSlot(*ring, header, 100, header);
  PublishRecordSlot(*ring, header, 100, header + 1);
  std::vector<Event> out(8);
  ASSERT_EQ(consumer.Drain(out), 1u) << "only the whole record before the half-published one";
  EXPECT_EQ(TailSeq(ring->header().tail.load()), header) << "tail stops at the half-published record's header";
  EXPECT_EQ(consumer.Drain(out), 0u);
  PublishRecordSlot(*ring, header, 100, header + 2);
  ASSERT_EQ(consumer.Drain(out), 3u);
  EXPECT_EQ(out[0].seq, header);
  EXPECT_EQ(out[0].payload_bytes, 100u);
  EXPECT_FALSE(consumer.lost());
}

TEST(RingOwnership, ATakenRingIsLostToItsOldConsumerWhichAppliesNothingMore) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  std::uint16_t server_epoch = 0;
  const std::uint16_t offered = OfferRing(ring->header());
  ASSERT_TRUE(AcceptRing(ring->header(), offered, &server_epoch));
  RingConsumer server(*ring, server_epoch);
  for (int i = 1; i <= 10; ++i) PublishStamped(*ring, i);
  std::vector<Event> out(4);
  ASSERT_EQ(server.Drain(out), 4u);
  // The server stops draining; the process takes its ring back.
  RingConsumer process(*ring, TakeRing(ring->header()));
  EXPECT_EQ(process.next_seq(), 5u) << "the taker starts where the last commit ended";
  EXPECT_EQ(server.Drain(out), 0u) << "the server resumes: its commit fails, its batch is dropped";
  EXPECT_TRUE(server.lost());
  EXPECT_EQ(server.Drain(out), 0u);
  std::vector<Event> rest(16);
  ASSERT_EQ(process.Drain(rest), 6u);
  EXPECT_EQ(rest[0].seq, 5u);
  EXPECT_FALSE(process.lost());
  server.MarkProcessed();
  process.MarkProcessed();
  EXPECT_EQ(ring->header().processed.load(), 11u) << "processed only moves forward";
  server.MarkProcessed();
  EXPECT_EQ(ring->header().processed.load(), 11u);
}

TEST(RingOwnership, AnOfferIsAcceptedOrReclaimedNeverBoth) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  std::uint16_t owner = 0;
  const std::uint16_t first = OfferRing(ring->header());
  ASSERT_TRUE(ReclaimRing(ring->header(), first, &owner)) << "no server answered: the process takes it back";
  EXPECT_FALSE(AcceptRing(ring->header(), first, &owner)) << "a server reading the Hello late owns nothing";
  const std::uint16_t second = OfferRing(ring->header());
  EXPECT_NE(second, first);
  ASSERT_TRUE(AcceptRing(ring->header(), second, &owner));
  std::uint16_t reclaimed = 0;
  EXPECT_FALSE(ReclaimRing(ring->header(), second, &reclaimed)) << "once accepted, the server owns it";
  EXPECT_EQ(TailEpoch(ring->header().tail.load()), owner);
}

TEST(RingOwnership, ProducersSeeOnlyTheSeqOfTail) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 20; ++i) TakeRing(ring->header());  // a high epoch
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::vector<Event> out(kMinRingSlots);
  for (std::uint64_t round = 0; round < 4; ++round) {
    for (std::uint64_t i = 0; i < kMinRingSlots; ++i) ASSERT_NE(PublishStamped(*ring, i), 0u);
    ASSERT_EQ(consumer.Drain(out), kMinRingSlots) << "a full ring each round: producers never blocked";
  }
}

}  // namespace
}  // namespace memledger
