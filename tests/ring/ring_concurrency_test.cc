// ring_concurrency_test.cc — the ring with producers and the consumer on
// separate threads: a full ring blocks its producer until the consumer drains
// (lossless), the drop policy never blocks, many producers are each seen
// exactly once and in their own program order — through the shared slots and
// through lanes, more producers than lanes, hooks run by a signal handler
// inside a Put — multi-slot claims stay contiguous, a backing-up producer
// wakes a sleeping consumer, and a takeover mid-drain applies each record
// once (src/ring/event_ring.h, src/ring/ring_consumer.h). Label: concurrency.
#include <gtest/gtest.h>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "ring/event_ring.h"
#include "ring/ring_consumer.h"
#include "ring_test_util.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;
using ring_test::IsStamped;
using ring_test::MakeRing;
using ring_test::PublishStamped;
using ring_test::Stamped;

// A bound on waits for a state the test's own steps bring about: reached only
// when something hangs (ctest's TIMEOUT for these tests is 300 s).
constexpr auto kHangGuard = 120s;

// Waits up to `limit` for `done()`.
template <typename Done>
bool WaitFor(Done done, std::chrono::nanoseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Drains until `count` slots came out (or 60 s pass), handing each to `check`
// until the first failure (then it only drains, to release the producers).
template <typename Check>
std::uint64_t DrainCount(RingConsumer& consumer, std::uint64_t count, Check check) {
  std::vector<Event> batch(256);
  std::uint64_t got = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (got < count && std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = consumer.Drain(batch);
    for (std::size_t i = 0; i < n && !::testing::Test::HasFailure(); ++i) check(batch[i]);
    got += n;
    if (n == 0) consumer.WaitForData(1ms);
  }
  return got;
}

TEST(RingConcurrency, FullRingBlocksTheProducerUntilTheConsumerDrains) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  const std::uint64_t total = 4 * kMinRingSlots;
  std::atomic<std::uint64_t> published{0};
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= total; ++i) {
      ASSERT_EQ(PublishStamped(*ring, i), i);
      published.store(i, std::memory_order_release);
    }
  });

  // Nothing drains yet: the producer publishes the ring's worth of slots and
  // then waits for space in its claim of the next one (the only wait it can
  // be in once all are published), unless it goes on over unread slots.
  EXPECT_TRUE(WaitFor([&] {
    const std::uint64_t n = published.load();
    return n > kMinRingSlots || (n == kMinRingSlots && ring->space_waiters() != 0);
  }, kHangGuard));
  EXPECT_EQ(published.load(), kMinRingSlots) << "the producer overwrote slots the consumer had not read";
  EXPECT_EQ(ring->space_waiters(), 1u) << "the producer waits for space";

  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::uint64_t expected = 1;
  const std::uint64_t got = DrainCount(consumer, total, [&](const Event& e) {
    ASSERT_EQ(e.seq, expected);
    ASSERT_TRUE(IsStamped(e, expected));
    ++expected;
  });
  producer.join();
  EXPECT_EQ(got, total);
  EXPECT_EQ(ring->header().dropped.load(), 0u);
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
}

// `producers` threads publish `per_producer` records each, by Claim and
// Publish or by Put; the consumer sees each exactly once, in sequence, in its
// producer's order.
void ExpectEachSeenOnceInItsProducersOrder(EventRing& ring, int producers, std::uint64_t per_producer, bool put) {
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&ring, p, per_producer, put] {
      for (std::uint64_t i = 0; i < per_producer; ++i) {
        Event e = Stamped(i);
        e.thread = static_cast<std::uint32_t>(p);
        if (put) {
          e.time_ns = 0;  // a Put's time field carries its seq
          ring.Put(e);
        } else {
          ring.Publish(ring.Claim(1), e);
        }
      }
    });
  }
  RingConsumer consumer = ring_test::ConsumerOf(ring);
  std::uint64_t next_seq = 1;
  std::vector<std::uint64_t> next_of(producers, 0);
  const std::uint64_t got = DrainCount(consumer, producers * per_producer, [&](const Event& e) {
    ASSERT_EQ(e.seq, next_seq++);
    ASSERT_LT(e.thread, static_cast<std::uint32_t>(producers));
    const std::uint64_t i = next_of[e.thread]++;
    Event expected = Stamped(i);
    expected.seq = e.seq;
    expected.thread = e.thread;
    if (put) expected.time_ns = 0;
    ASSERT_EQ(std::memcmp(&expected, &e, sizeof(Event)), 0) << "producer " << e.thread << " event " << i;
  });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(got, producers * per_producer);
  for (int p = 0; p < producers; ++p) EXPECT_EQ(next_of[p], per_producer) << "producer " << p;
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
  EXPECT_EQ(ring.header().dropped.load(), 0u);
}

TEST(RingConcurrency, ProducersAreEachSeenOnceInTheirOwnOrder) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  ExpectEachSeenOnceInItsProducersOrder(*ring, 4, 20000, /*put=*/false);
}

// More producers than lanes: some write lanes, the others the shared slots,
// all in one sequence; the lanes (128 slots) fill and overflow into the shared slots.
TEST(RingConcurrency, PutProducersMoreThanLanesAreEachSeenOnceInTheirOwnOrder) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  ExpectEachSeenOnceInItsProducersOrder(*ring, kRingLanes + 4, 20000, /*put=*/true);
}

// A hook a signal handler runs while its thread is inside a Put goes to the
// shared slots: the lane's position is the interrupted Put's.
EventRing* g_signalled_ring = nullptr;
std::atomic<std::uint64_t> g_handler_puts{0};
void PutFromHandler(int) {
  Event e = Stamped(g_handler_puts.load(std::memory_order_relaxed));
  e.time_ns = 0;
  e.thread = 1;
  g_signalled_ring->Put(e);
  g_handler_puts.fetch_add(1, std::memory_order_relaxed);
}

// SIGUSR1 runs PutFromHandler on `ring` from here on; the action it replaced in *before.
bool PutOnSigusr1(EventRing& ring, struct sigaction* before) {
  g_signalled_ring = &ring;
  g_handler_puts = 0;
  struct sigaction action {};
  action.sa_handler = PutFromHandler;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGUSR1, &action, before) == 0;
}

TEST(RingConcurrency, PutsOfASignalHandlerInsideAPutLoseNothing) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  struct sigaction before {};
  ASSERT_TRUE(PutOnSigusr1(*ring, &before));
  constexpr std::uint64_t kPuts = 200000;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kPuts; ++i) {
      Event e = Stamped(i);
      e.time_ns = 0;
      e.thread = 0;
      ring->Put(e);
    }
    done = true;
  });
  const pthread_t target = producer.native_handle();
  std::thread signaller([&] {
    while (!done) {
      pthread_kill(target, SIGUSR1);
      std::this_thread::sleep_for(20us);
    }
  });
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::uint64_t next_seq = 1;
  std::uint64_t next_of[2] = {0, 0};
  std::uint64_t got = 0;
  std::vector<Event> batch(256);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  const auto drain_while = [&](auto more) {
    while (!HasFailure() && more() && std::chrono::steady_clock::now() < deadline) {
      const std::size_t n = consumer.Drain(batch);
      for (std::size_t i = 0; i < n; ++i) {
        const Event& e = batch[i];
        ASSERT_EQ(e.seq, next_seq++);
        ASSERT_LT(e.thread, 2u);
        Event expected = Stamped(next_of[e.thread]++);
        expected.seq = e.seq;
        expected.time_ns = 0;
        expected.thread = e.thread;
        ASSERT_EQ(std::memcmp(&expected, &e, sizeof(Event)), 0) << (e.thread == 0 ? "the loop's" : "the handler's");
      }
      got += n;
      if (n == 0) consumer.WaitForData(1ms);
    }
  };
  // The signaller may signal once more after the producer's loop ended: its
  // handler's Put counts only once both threads are done, and may wait for
  // room meanwhile, so the draining goes on while they are joined.
  std::atomic<bool> joined{false};
  std::thread joiner([&] {
    signaller.join();
    producer.join();
    joined = true;
  });
  drain_while([&] { return !joined; });
  joiner.join();
  drain_while([&] { return got < kPuts + g_handler_puts.load(); });
  sigaction(SIGUSR1, &before, nullptr);
  EXPECT_GT(g_handler_puts.load(), 0u);
  EXPECT_EQ(next_of[0], kPuts);
  EXPECT_EQ(next_of[1], g_handler_puts.load());
  EXPECT_TRUE(consumer.CaughtUp());
}

// A hook in a signal handler that interrupts a producer waiting for room
// gets its record in once the consumer drains: no producer waits holding a
// seq. Here the interrupted thread has filled its lane and the shared slots;
// while it waits, seven threads fill their lanes and four claim 64 shared
// slots each (they wait too), then the handler's Put waits. Had the waiting
// producers taken their seqs first, the head would be more than the shared
// slots past the interrupted one's, and the handler's record would wait for
// that seq's slot for ever: the consumer stops at a seq never published.
TEST(RingConcurrency, AHandlersPutInsideAPutWaitingForRoomGetsInOnceTheConsumerDrains) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  struct sigaction before {};
  ASSERT_TRUE(PutOnSigusr1(*ring, &before));
  const auto waiters = [&](std::uint32_t n) {
    return WaitFor([&] { return ring->space_waiters() == n; }, kHangGuard);
  };
  std::thread interrupted([&] {
    for (std::uint64_t v = 0; v <= kMinRingSlots; ++v) ring->Put(Stamped(v));  // the last one waits
  });
  ASSERT_TRUE(waiters(1));
  std::vector<std::thread> others;
  std::barrier all_put(7);  // a lane goes back (full) when its thread exits: not to another of these
  for (int t = 0; t < 7; ++t) {
    others.emplace_back([&] {
      for (std::uint64_t v = 0; v < ring->lane_capacity(); ++v) ring->Put(Stamped(v));
      all_put.arrive_and_wait();
    });
  }
  for (std::thread& t : others) t.join();
  others.clear();
  constexpr std::uint32_t kClaim = 64;
  for (int t = 0; t < 4; ++t) {
    others.emplace_back([&] {
      const std::uint64_t seq = ring->Claim(kClaim);
      for (std::uint32_t i = 0; i < kClaim; ++i) ring->Publish(seq + i, Stamped(seq + i));
    });
  }
  ASSERT_TRUE(waiters(5));
  pthread_kill(interrupted.native_handle(), SIGUSR1);
  ASSERT_TRUE(waiters(6)) << "the handler's Put waits for room too";
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  const std::uint64_t expected = (kMinRingSlots + 1) + 7 * ring->lane_capacity() + 4 * kClaim + 1;
  std::uint64_t got = 0;
  std::vector<Event> batch(256);
  EXPECT_TRUE(WaitFor([&] {
    const std::size_t n = consumer.Drain(batch);
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(batch[i].seq, got + i + 1);
    got += n;
    return got == expected;
  }, kHangGuard)) << got << " of " << expected << " records";
  interrupted.join();
  for (std::thread& t : others) t.join();
  sigaction(SIGUSR1, &before, nullptr);
  EXPECT_EQ(g_handler_puts.load(), 1u);
  EXPECT_TRUE(consumer.CaughtUp());
}

// Records with payloads claim several slots at once; concurrent claims must
// never interleave inside one record.
TEST(RingConcurrency, MultiSlotClaimsStayContiguous) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  constexpr int kProducers = 3;
  constexpr std::uint64_t kClaimsPerProducer = 8000;
  auto claim_size = [](int producer, std::uint64_t i) {
    return static_cast<std::uint32_t>(1 + (i + static_cast<std::uint64_t>(producer)) % 5);
  };
  std::uint64_t total_slots = 0;
  for (int p = 0; p < kProducers; ++p) {
    for (std::uint64_t i = 0; i < kClaimsPerProducer; ++i) total_slots += claim_size(p, i);
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < kClaimsPerProducer; ++i) {
        const std::uint32_t n = claim_size(p, i);
        const std::uint64_t seq = ring->Claim(n);
        for (std::uint32_t part = 0; part < n; ++part) {
          Event e{};
          e.thread = static_cast<std::uint32_t>(p);
          e.buffer_id = i;
          e.address = part;
          e.size = n;
          ring->Publish(seq + part, e);
        }
      }
    });
  }
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  std::uint64_t next_seq = 1;
  std::vector<std::uint64_t> next_claim(kProducers, 0);
  Event record{};            // the record being read
  std::uint64_t parts_left = 0;
  const std::uint64_t got = DrainCount(consumer, total_slots, [&](const Event& e) {
    ASSERT_EQ(e.seq, next_seq++);
    if (parts_left == 0) {
      ASSERT_EQ(e.address, 0u) << "seq " << e.seq << " continues no record";
      ASSERT_LT(e.thread, static_cast<std::uint32_t>(kProducers));
      ASSERT_EQ(e.buffer_id, next_claim[e.thread]++) << "producer " << e.thread << " out of order";
      ASSERT_EQ(e.size, claim_size(static_cast<int>(e.thread), e.buffer_id));
      record = e;
      parts_left = e.size - 1;
      return;
    }
    ASSERT_EQ(e.thread, record.thread) << "another producer's slot inside a record at seq " << e.seq;
    ASSERT_EQ(e.buffer_id, record.buffer_id);
    ASSERT_EQ(e.address, record.size - parts_left);
    --parts_left;
  });
  for (std::thread& t : producers) t.join();
  EXPECT_EQ(got, total_slots);
  EXPECT_EQ(parts_left, 0u);
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(next_claim[p], kClaimsPerProducer);
}

// Under OnFull::kDrop a producer may lose records but must never wait for the
// consumer. Several producers race for the last free slots of a ring nobody
// drains; each stops at its first refused claim. Repeated, because the race
// is between one producer's check for space and another's claim.
TEST(RingConcurrency, DropPolicyNeverBlocksProducersRacingForTheLastSlots) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kDrop);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  constexpr int kProducers = 3;
  // The race is hit within a few dozen rounds on a 2-core machine; the time
  // budget keeps slow (sanitized, loaded) runs bounded.
  constexpr int kRounds = 1000;
  const auto budget_end = std::chrono::steady_clock::now() + 30s;
  std::vector<Event> batch(kMinRingSlots);
  int round = 0;
  for (; round < kRounds && std::chrono::steady_clock::now() < budget_end; ++round) {
    std::atomic<int> ready{0}, finished{0};
    std::atomic<std::uint64_t> published{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < kProducers; ++p) {
      producers.emplace_back([&] {
        ready.fetch_add(1);
        while (ready.load() < kProducers) {
        }
        for (std::uint64_t seq; (seq = ring->Claim(1)) != 0;) {
          ring->Publish(seq, Stamped(seq));
          published.fetch_add(1);
        }
        finished.fetch_add(1);
      });
    }
    // A producer that blocked would wait for space in the ring (space_waiters),
    // which nothing frees until the drain below.
    bool blocked = false;
    const bool settled = WaitFor([&] {
      blocked = blocked || ring->space_waiters() != 0;
      return blocked || finished.load() == kProducers;
    }, kHangGuard);
    // Drain (which also frees any producer that did block) before judging.
    std::uint64_t drained = 0;
    while (finished.load() < kProducers || !consumer.CaughtUp()) {
      const std::size_t n = consumer.Drain(batch);
      for (std::size_t i = 0; i < n; ++i) EXPECT_TRUE(IsStamped(batch[i], batch[i].seq));
      drained += n;
      if (n == 0) std::this_thread::sleep_for(1ms);
    }
    for (std::thread& t : producers) t.join();
    ASSERT_TRUE(settled) << "round " << round << ": the producers neither finished nor waited for space";
    ASSERT_FALSE(blocked) << "round " << round << ": a producer blocked on a full ring under OnFull::kDrop";
    ASSERT_EQ(drained, published.load());
  }
  EXPECT_GE(ring->header().dropped.load(), static_cast<std::uint64_t>(round * kProducers));
  EXPECT_EQ(consumer.abandoned_slots(), 0u);
}

// The consumer sleeps between batches; a producer that has filled half the
// ring rings the doorbell so the consumer does not sleep out its timeout.
TEST(RingConcurrency, BackingUpProducerWakesASleepingConsumer) {
  auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
  ASSERT_NE(ring, nullptr);
  RingConsumer consumer = ring_test::ConsumerOf(*ring);
  // The first slot is claimed and never published: the consumer has nothing
  // to drain, so only the doorbell (or its timeout) ends its sleep.
  ASSERT_EQ(ring->Claim(1), 1u);
  WakeReason woke = WakeReason::kSlotReady;
  std::thread sleeper([&] { woke = consumer.WaitForData(120s); });
  // Asleep: from here on a producer's claim sees it and rings.
  EXPECT_TRUE(WaitFor([&] { return ring->header().consumer_sleeping.load() != 0; }, kHangGuard));
  for (std::uint64_t i = 2; i <= kMinRingSlots * 3 / 4; ++i) PublishStamped(*ring, i);
  sleeper.join();
  EXPECT_EQ(woke, WakeReason::kDoorbell) << "the consumer slept through a backed-up ring";
}


// A server drains on its thread while the process takes the ring back at an
// arbitrary instant (the server may be mid-drain, between its copy and its
// commit): every record is applied by exactly one of them, in order, and the
// server applies nothing after it lost the ring.
// The process takes its ring from a server mid-drain, at a different moment
// in each round; records come by Claim and Publish, or by Put (from two
// threads: the lanes' tails lag the commits the taker takes over).
void ExpectATakeoverAppliesEachRecordOnce(bool put) {
  for (int round = 0; round < 200; ++round) {
    auto ring = MakeRing(kMinRingSlots, OnFull::kBlock);
    ASSERT_NE(ring, nullptr);
    const std::uint64_t total = 2 * kMinRingSlots;
    std::uint16_t server_epoch = 0;
    ASSERT_TRUE(AcceptRing(ring->header(), OfferRing(ring->header()), &server_epoch));
    // Every record is Stamped(its value) (a Put's time 0): its value comes out once, whole.
    std::vector<int> values_seen(total + 1, 0);
    std::atomic<bool> torn{false};
    const auto see = [&](const Event& e) {
      Event expected = Stamped(e.thread);
      expected.seq = e.seq;
      if (put) expected.time_ns = 0;
      if (e.thread == 0 || e.thread > total || std::memcmp(&expected, &e, sizeof(Event)) != 0) {
        torn = true;
      } else {
        ++values_seen[e.thread];
      }
    };
    std::vector<std::uint64_t> server_applied;
    std::thread server([&] {
      RingConsumer consumer(*ring, server_epoch);
      std::vector<Event> batch(1 + round % 64);
      while (!consumer.lost() && consumer.next_seq() <= total) {
        const std::size_t n = consumer.Drain(batch);
        for (std::size_t i = 0; i < n; ++i) {
          server_applied.push_back(batch[i].seq);
          see(batch[i]);
        }
      }
    });
    std::vector<std::thread> producers;
    for (int p = 0; p < (put ? 2 : 1); ++p) {
      producers.emplace_back([&, p] {
        for (std::uint64_t i = 1 + p; i <= total; i += (put ? 2 : 1)) {
          if (put) {
            ring->Put(Stamped(i));
          } else {
            PublishStamped(*ring, i);
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(round * 7));
    RingConsumer process(*ring, TakeRing(ring->header()));
    const std::uint64_t from = process.next_seq();
    std::vector<std::uint64_t> process_applied;
    const std::uint64_t got = DrainCount(process, total + 1 - from, [&](const Event& e) {
      process_applied.push_back(e.seq);
      see(e);
    });
    for (std::thread& t : producers) t.join();
    server.join();
    ASSERT_EQ(got, total + 1 - from);
    ASSERT_EQ(server_applied.size(), from - 1) << "round " << round;
    for (std::size_t i = 0; i < server_applied.size(); ++i) ASSERT_EQ(server_applied[i], i + 1);
    for (std::size_t i = 0; i < process_applied.size(); ++i) ASSERT_EQ(process_applied[i], from + i);
    ASSERT_FALSE(torn) << "round " << round << ": a record came out that no producer wrote";
    for (std::uint64_t v = 1; v <= total; ++v) ASSERT_EQ(values_seen[v], 1) << "round " << round << ": value " << v;
  }
}

TEST(RingConcurrency, ATakeoverMidDrainAppliesEachRecordExactlyOnce) { ExpectATakeoverAppliesEachRecordOnce(false); }

TEST(RingConcurrency, ATakeoverMidDrainAppliesEachLaneRecordExactlyOnce) { ExpectATakeoverAppliesEachRecordOnce(true); }

}  // namespace
}  // namespace memledger
