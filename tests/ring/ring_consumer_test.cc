// ring_consumer_test.cc — RingConsumer on one thread: draining in sequence
// across many wrap-arounds, batch bounds, releasing space, and giving up on
// slots that are claimed but never published (src/ring/ring_consumer.h).
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

constexpr auto kNoStuckTimeout = std::chrono::hours(1);

TEST(RingConsumer, StartsAtTheRingsTail) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 5; ++i) PublishStamped(*ring, i);
  {
    RingConsumer first(*ring, kNoStuckTimeout);
    std::vector<Event> out(3);
    ASSERT_EQ(first.Drain(out), 3u);
  }
  RingConsumer second(*ring, kNoStuckTimeout);
  EXPECT_EQ(second.next_seq(), 4u) << "a new consumer resumes where the last one released";
}

TEST(RingConsumer, DrainStopsAtTheBatchSizeAndReleasesTail) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 10; ++i) PublishStamped(*ring, i);
  RingConsumer consumer(*ring, kNoStuckTimeout);
  std::vector<Event> out(4);
  EXPECT_EQ(consumer.Drain(out), 4u);
  EXPECT_EQ(ring->header().tail.load(), 5u);
  EXPECT_FALSE(consumer.CaughtUp());
  EXPECT_EQ(consumer.Drain(out), 4u);
  EXPECT_EQ(consumer.Drain(out), 2u);
  EXPECT_EQ(out[1].seq, 10u);
  EXPECT_TRUE(IsStamped(out[1], 9));
  EXPECT_EQ(consumer.Drain(out), 0u);
  EXPECT_EQ(ring->header().tail.load(), 11u);
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumer, MarkProcessedPublishesHowFarTheLedgerGot) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  for (int i = 0; i < 7; ++i) PublishStamped(*ring, i);
  RingConsumer consumer(*ring, kNoStuckTimeout);
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
  RingConsumer consumer(*ring, kNoStuckTimeout);
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
  RingConsumer consumer(*ring, kNoStuckTimeout);
  std::vector<Event> out(4);
  EXPECT_EQ(consumer.Drain(out), 0u);
  EXPECT_EQ(consumer.next_seq(), 1u);
}

// --- slots that are claimed but never published ----------------------------

TEST(RingConsumerStuckSlot, IsAbandonedOnlyAfterTheTimeout) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  constexpr auto kStuckTimeout = 50ms;
  RingConsumer consumer(*ring, kStuckTimeout);
  ASSERT_EQ(ring->Claim(1), 1u);  // its producer died before publishing
  PublishStamped(*ring, 2);
  PublishStamped(*ring, 3);

  std::vector<Event> out(8);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(consumer.Drain(out), 0u);
  EXPECT_EQ(consumer.Drain(out), 0u);
  if (std::chrono::steady_clock::now() - start < kStuckTimeout) {
    EXPECT_EQ(consumer.abandoned_slots(), 0u) << "abandoned before the timeout";
  }
  std::this_thread::sleep_for(kStuckTimeout + 30ms);
  ASSERT_EQ(consumer.Drain(out), 2u);
  EXPECT_EQ(consumer.abandoned_slots(), 1u);
  EXPECT_EQ(out[0].seq, 2u);
  EXPECT_TRUE(IsStamped(out[0], 2));
  EXPECT_EQ(out[1].seq, 3u);
  EXPECT_EQ(consumer.next_seq(), 4u);
  EXPECT_EQ(ring->header().tail.load(), 4u) << "the abandoned slot's space goes back to producers";
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerStuckSlot, LatePublishBeforeTheTimeoutIsRead) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, 10s);
  const std::uint64_t seq = ring->Claim(1);
  std::vector<Event> out(8);
  EXPECT_EQ(consumer.Drain(out), 0u);
  ring->Publish(seq, Stamped(seq));
  ASSERT_EQ(consumer.Drain(out), 1u);
  EXPECT_EQ(out[0].seq, seq);
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
}

TEST(RingConsumerStuckSlot, NothingIsAbandonedWhenNothingIsClaimed) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, 1ms);
  std::vector<Event> out(8);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(consumer.Drain(out), 0u);
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_EQ(consumer.next_seq(), 1u);
}

TEST(RingConsumerStuckSlot, EachStuckSlotIsCountedOnce) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, 5ms);
  ASSERT_EQ(ring->Claim(3), 1u);  // a three-slot record never published
  PublishStamped(*ring, 4);
  std::vector<Event> out(8);
  std::size_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got == 0 && std::chrono::steady_clock::now() < deadline) {
    got = consumer.Drain(out);
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_EQ(got, 1u);
  EXPECT_EQ(out[0].seq, 4u);
  EXPECT_EQ(consumer.abandoned_slots(), 3u);
}

TEST(RingConsumerAbandonPending, SkipsUnpublishedSlotsUpToThePublishedOne) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, kNoStuckTimeout);
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
  EXPECT_EQ(ring->header().tail.load(), 4u);
  ASSERT_EQ(consumer.Drain(out), 1u);
  EXPECT_EQ(out[0].seq, 4u);
  EXPECT_TRUE(IsStamped(out[0], 4));
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerAbandonPending, TrailingUnpublishedSlotsAreAllAbandoned) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, kNoStuckTimeout);
  ASSERT_EQ(ring->Claim(5), 1u);
  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), 5u);
  EXPECT_EQ(consumer.next_seq(), 6u);
  EXPECT_TRUE(consumer.CaughtUp());
}

TEST(RingConsumerAbandonPending, LyingHeadSkipsAtMostOneRing) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, kNoStuckTimeout);
  ring->header().head.store(1 + 100 * kMinRingSlots);  // hostile producer
  consumer.AbandonPending();
  EXPECT_EQ(consumer.abandoned_slots(), kMinRingSlots);
  EXPECT_EQ(consumer.next_seq(), 1 + kMinRingSlots);
}

TEST(RingConsumer, WaitForDataReturnsAtOnceWhenASlotIsReady) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, kNoStuckTimeout);
  PublishStamped(*ring, 1);
  const auto start = std::chrono::steady_clock::now();
  consumer.WaitForData(60s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(ring->header().consumer_sleeping.load(), 0u);
}

TEST(RingConsumer, WaitForDataHonoursItsTimeoutWhenIdle) {
  auto ring = MakeRing(kMinRingSlots);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer(*ring, kNoStuckTimeout);
  const auto start = std::chrono::steady_clock::now();
  consumer.WaitForData(20ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(ring->header().consumer_sleeping.load(), 0u);
}

}  // namespace
}  // namespace memledger
