// allocation_table_test.cc — src/cuda/allocation_table.h: what is booked at
// an address until it is freed, from many threads.
#include "cuda/allocation_table.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

namespace memledger::cuda {
namespace {

BookedBuffer Buffer(std::uint64_t id, std::uint32_t device = 0) { return {id, device, MEMLEDGER_DRAM, 256 * id}; }

TEST(AllocationTable, RemoveReturnsWhatWasInserted) {
  AllocationTable table;
  EXPECT_FALSE(table.Insert(0x1000, Buffer(1, 1)));
  const auto removed = table.Remove(0x1000);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->buffer_id, 1u);
  EXPECT_EQ(removed->device, 1u);
  EXPECT_EQ(removed->size, 256u);
  EXPECT_FALSE(table.Remove(0x1000));
}

TEST(AllocationTable, UnknownAddressIsNotBooked) {
  AllocationTable table;
  table.Insert(0x1000, Buffer(1));
  EXPECT_FALSE(table.Remove(0x2000));
}

TEST(AllocationTable, InsertAtABookedAddressReturnsTheBufferItReplaces) {
  AllocationTable table;
  table.Insert(0x1000, Buffer(1));
  const auto replaced = table.Insert(0x1000, Buffer(2));
  ASSERT_TRUE(replaced);
  EXPECT_EQ(replaced->buffer_id, 1u);
  EXPECT_EQ(table.Remove(0x1000)->buffer_id, 2u);
}

// Threads book and free addresses that other threads had a moment before, as
// a device allocator hands a freed address to whichever thread allocates next.
// Each address is passed from thread to thread like a baton: the thread that
// holds it frees the buffer booked there, or books one when none is, then lets
// it go; a thread never takes back an address it just let go, so every free is
// of a buffer another thread booked and every booking is at an address another
// thread freed.
TEST(AllocationTable, ManyThreads) {
  AllocationTable table;
  constexpr int kThreads = 8;
  constexpr std::size_t kAddresses = 64;
  constexpr std::uint64_t kSteps = 160000;  // bookings and frees, all threads together
  constexpr std::uint64_t kHeld = ~std::uint64_t{0};
  // A baton: kHeld while a thread works at the address; else the buffer booked
  // there (0: none) << 4 | the thread that let the address go last (1 + its
  // index; 0: none yet).
  std::array<std::atomic<std::uint64_t>, kAddresses> batons{};
  auto address_of = [](std::size_t i) { return 0x7f0000000000 + i * 512; };
  std::atomic<std::uint64_t> steps{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto self = static_cast<std::uint64_t>(t) + 1;
      std::uint64_t booked = 0;  // this thread's bookings; ids are self << 32 | count
      std::size_t i = static_cast<std::size_t>(t) * 7;
      for (std::size_t misses = 0; steps.load(std::memory_order_relaxed) < kSteps && !failed.load();) {
        i = (i + 13) % kAddresses;
        std::uint64_t baton = batons[i].load(std::memory_order_acquire);
        // Acquire: pairs with the release that let the address go, so the
        // table's state at it is as the last holder left it.
        if (baton == kHeld || (baton & 15) == self ||
            !batons[i].compare_exchange_strong(baton, kHeld, std::memory_order_acquire)) {
          if (++misses % kAddresses == 0) std::this_thread::yield();
          continue;
        }
        const std::uint64_t id = baton >> 4;
        std::uint64_t left = 0;  // nothing booked
        if (id == 0) {
          left = self << 32 | ++booked;
          const auto replaced = table.Insert(address_of(i), Buffer(left));
          if (replaced) {
            ADD_FAILURE() << "thread " << self << " booked address " << i << " after thread " << (baton & 15)
                          << " freed it, and found buffer " << replaced->buffer_id << " still there";
            failed.store(true);
          }
        } else {
          const auto removed = table.Remove(address_of(i));
          if (!removed || removed->buffer_id != id || removed->size != 256 * id) {
            ADD_FAILURE() << "thread " << self << " freed address " << i << ", where thread " << (id >> 32)
                          << " booked buffer " << id << ", and got " << (removed ? removed->buffer_id : 0);
            failed.store(true);
          }
        }
        // Release: pairs with the next holder's acquire.
        batons[i].store(left << 4 | self, std::memory_order_release);
        steps.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GE(steps.load(), kSteps);
  // What is booked at the end is what the batons say, and nothing else.
  for (std::size_t i = 0; i < kAddresses; ++i) {
    const std::uint64_t id = batons[i].load() >> 4;
    const auto removed = table.Remove(address_of(i));
    EXPECT_EQ(removed.has_value(), id != 0) << "address " << i;
    if (removed) {
      EXPECT_EQ(removed->buffer_id, id) << "address " << i;
    }
  }
}

}  // namespace
}  // namespace memledger::cuda
