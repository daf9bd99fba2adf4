// bank_allocator_test.cc — BankAllocator: lockstep interleaving, footprints,
// exhaustion, usage counts; and a concurrent stress that checks no two live
// allocations ever overlap.
#include "sim/bank_allocator.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace memledger::sim {
namespace {

constexpr BankRegion kFourBanks{MemType::kL1, 0x10000, 0x4000, 4, 16};

TEST(BankAllocatorTest, InterleavesPagesRoundRobinOverTheBanks) {
  // 10 pages over 4 banks: banks 0 and 1 hold 3 pages, banks 2 and 3 hold 2.
  EXPECT_EQ(PagesPerBank(10 * 1024, 1024, 4), 3u);
  EXPECT_EQ(BankFootprint(kFourBanks, 10 * 1024, 1024), 3u * 1024);
  EXPECT_EQ(BankFootprint(kFourBanks, 10 * 1024 - 1, 1024), 3u * 1024) << "a partial page is a whole page";
  for (std::uint64_t page = 0; page < 10; ++page) {
    const PageLocation location = LocatePage(kFourBanks, 0x10000, 1024, page);
    EXPECT_EQ(location.bank, page % 4);
    EXPECT_EQ(location.address, 0x10000 + (page / 4) * 1024);
    EXPECT_LT(location.address, 0x10000 + BankFootprint(kFourBanks, 10 * 1024, 1024));
  }
}

TEST(BankAllocatorTest, AllBanksAllocateTheSameAddressInLockstep) {
  BankAllocator allocator(kFourBanks);
  EXPECT_EQ(allocator.Allocate(10 * 1024, 1024), 0x10000u);
  EXPECT_EQ(allocator.Allocate(1024, 1024), 0x10000u + 3 * 1024) << "the first buffer reserved 3 pages per bank";
  EXPECT_EQ(allocator.Allocate(100, 64), 0x10000u + 4 * 1024) << "footprints are aligned to the region";
  EXPECT_EQ(allocator.region().capacity(), 4u * 0x4000);
}

TEST(BankAllocatorTest, TracksLiveBytesAsRequestedSizes) {
  BankAllocator allocator(kFourBanks);
  const auto a = allocator.Allocate(1000, 256);
  const auto b = allocator.Allocate(5000, 1024);
  ASSERT_TRUE(a && b);
  RegionUsage usage = allocator.usage();
  EXPECT_EQ(usage.live_bytes, 6000u);
  EXPECT_EQ(usage.live_allocations, 2u);
  allocator.Deallocate(*a);
  usage = allocator.usage();
  EXPECT_EQ(usage.live_bytes, 5000u);
  EXPECT_EQ(usage.allocations, 2u);
  EXPECT_EQ(usage.deallocations, 1u);
  EXPECT_EQ(allocator.allocation_count(), 2u);
}

TEST(BankAllocatorTest, ExhaustionIsAnErrorValueAndFreeingRecovers) {
  BankAllocator allocator(kFourBanks);
  const auto all = allocator.Allocate(4 * 0x4000, 1024);
  ASSERT_TRUE(all);
  EXPECT_FALSE(allocator.Allocate(16, 16));
  EXPECT_EQ(allocator.usage().allocations, 1u) << "a failed allocation is not counted";
  allocator.Deallocate(*all);
  EXPECT_TRUE(allocator.Allocate(4 * 0x4000, 1024));
}

TEST(BankAllocatorTest, DoubleFreeThrows) {
  BankAllocator allocator(kFourBanks);
  const auto a = allocator.Allocate(1024, 1024);
  ASSERT_TRUE(a);
  allocator.Deallocate(*a);
  EXPECT_THROW(allocator.Deallocate(*a), std::logic_error);
}

// Threads allocate and free random sizes; every allocation claims its granules
// in a shadow map, which fails on any overlap with a live allocation.
TEST(BankAllocatorConcurrentTest, ParallelAllocationsNeverOverlapAndAllMemoryComesBack) {
  constexpr std::uint64_t kGranule = 256;
  constexpr BankRegion kRegion{MemType::kL1, 0, 64 * kGranule, 2, kGranule};
  constexpr int kThreads = 4;
  constexpr int kIterations = 20000;
  BankAllocator allocator(kRegion);
  auto owners = std::make_unique<std::atomic<int>[]>(kRegion.bank_size / kGranule);
  std::atomic<int> overlaps{0};

  const auto claim = [&](std::uint64_t address, std::uint64_t footprint, int from, int to) {
    for (std::uint64_t g = address / kGranule; g < (address + footprint) / kGranule; ++g) {
      int expected = from;
      if (!owners[g].compare_exchange_strong(expected, to)) overlaps.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t <= kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(t);
      std::vector<std::pair<std::uint64_t, std::uint64_t>> held;  // address, size
      for (int i = 0; i < kIterations; ++i) {
        if (held.size() < 4 && random() % 2 == 0) {
          const std::uint64_t size = (1 + random() % 6) * kGranule;
          if (const auto address = allocator.Allocate(size, kGranule)) {
            claim(*address, BankFootprint(kRegion, size, kGranule), 0, t);
            held.emplace_back(*address, size);
          }
        } else if (!held.empty()) {
          const auto [address, size] = held.back();
          held.pop_back();
          claim(address, BankFootprint(kRegion, size, kGranule), t, 0);
          allocator.Deallocate(address);
        }
      }
      for (const auto& [address, size] : held) {
        claim(address, BankFootprint(kRegion, size, kGranule), t, 0);
        allocator.Deallocate(address);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(overlaps.load(), 0);
  const RegionUsage usage = allocator.usage();
  EXPECT_EQ(usage.live_allocations, 0u);
  EXPECT_EQ(usage.live_bytes, 0u);
  EXPECT_EQ(usage.allocations, usage.deallocations);
  EXPECT_TRUE(allocator.Allocate(kRegion.capacity(), kGranule)) << "free blocks coalesced back into one";
}

}  // namespace
}  // namespace memledger::sim
