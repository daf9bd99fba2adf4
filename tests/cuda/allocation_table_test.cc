// allocation_table_test.cc — src/cuda/allocation_table.h: what is booked at
// an address until it is freed, from many threads.
#include "cuda/allocation_table.h"

#include <gtest/gtest.h>

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

// Threads book and free addresses that other threads had a moment before.
TEST(AllocationTable, ManyThreads) {
  AllocationTable table;
  constexpr int kThreads = 8;
  constexpr std::uint64_t kRounds = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&table, t] {
      for (std::uint64_t i = 0; i < kRounds; ++i) {
        const std::uint64_t address = 0x7f0000000000 + ((i % 64) * kThreads + static_cast<std::uint64_t>(t)) * 512;
        const std::uint64_t id = static_cast<std::uint64_t>(t) * kRounds + i + 1;
        ASSERT_FALSE(table.Insert(address, Buffer(id)));
        const auto removed = table.Remove(address);
        ASSERT_TRUE(removed);
        ASSERT_EQ(removed->buffer_id, id);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
}

}  // namespace
}  // namespace memledger::cuda
