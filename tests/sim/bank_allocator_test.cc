// bank_allocator_test.cc — BankAllocator: lockstep interleaving, footprints,
// exhaustion, usage counts in hooked sizes, top-down placement, partitions,
// the snapshot and verdict at a failure, the CB region check; and a
// concurrent stress that checks no two live allocations ever overlap.
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

TEST(BankAllocatorTest, TracksLiveBytesAsHookedSizes) {
  BankAllocator allocator(kFourBanks);
  const auto a = allocator.Allocate(1000, 256);   // 4 pages: 1 per bank, 256 bytes
  const auto b = allocator.Allocate(5000, 1024);  // 5 pages: 2 in the fullest bank, 2048 bytes
  ASSERT_TRUE(a && b);
  EXPECT_EQ(allocator.HookedSize(1000, 256), 4u * 256);
  EXPECT_EQ(allocator.HookedSize(5000, 1024), 4u * 2048);
  RegionUsage usage = allocator.usage();
  EXPECT_EQ(usage.live_bytes, 4u * 256 + 4u * 2048) << "footprint per bank x banks, not the requested size";
  EXPECT_EQ(usage.live_allocations, 2u);
  allocator.Deallocate(*a);
  usage = allocator.usage();
  EXPECT_EQ(usage.live_bytes, 4u * 2048);
  EXPECT_EQ(usage.allocations, 2u);
  EXPECT_EQ(usage.deallocations, 1u);
  EXPECT_EQ(allocator.allocation_count(), 2u);
}

TEST(BankAllocatorTest, TopDownRegionPlacesFromItsTop) {
  BankRegion region = kFourBanks;
  region.placement = Placement::kTopDown;
  BankAllocator allocator(region);
  EXPECT_EQ(allocator.Allocate(4 * 1024, 1024), 0x14000u - 1024);
  EXPECT_EQ(allocator.Allocate(8 * 1024, 1024), 0x14000u - 3 * 1024);
}

TEST(BankAllocatorTest, FailureSaysExhaustedOrFragmentedWithTheRegionInHookUnits) {
  BankAllocator allocator(kFourBanks);  // 0x4000 per bank
  std::vector<std::uint64_t> addresses;
  for (int i = 0; i < 16; ++i) addresses.push_back(*allocator.Allocate(4 * 1024, 1024));  // 1 KiB per bank each
  for (int i = 0; i < 16; i += 2) allocator.Deallocate(addresses[i]);  // 8 holes of 1 KiB per bank
  std::optional<FailureTruth> failure;
  const auto remember = [&](const FailureTruth& f) { failure = f; };
  EXPECT_FALSE(allocator.Allocate(8 * 1024, 1024, "big", [](std::uint64_t) {}, remember));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->verdict, FailureVerdict::kFragmented) << "8 KiB per bank free, 2 KiB needed, 1 KiB holes";
  EXPECT_EQ(failure->extent, 4u * 2048);
  const RegionSnapshot& region = failure->region;
  EXPECT_EQ(region.free_bytes, 4u * 8 * 1024);
  EXPECT_EQ(region.largest_free_block, 4u * 1024);
  EXPECT_EQ(region.hole_count, 8u);
  ASSERT_EQ(region.holes.size(), 8u);
  EXPECT_EQ(region.holes[1].start, InterleavedAddress(kFourBanks, 0x10000 + 2 * 1024));
  EXPECT_EQ(region.free_bytes + region.live_bytes, region.managed_size);
  EXPECT_EQ(region.live_count, 8u);
  EXPECT_EQ(region.live[0].address, InterleavedAddress(kFourBanks, 0x10000 + 1024));
  EXPECT_EQ(region.live[0].size, 4u * 1024);

  failure.reset();
  EXPECT_FALSE(allocator.Allocate(9 * 4 * 1024, 1024, "huge", [](std::uint64_t) {}, remember));
  ASSERT_TRUE(failure);
  EXPECT_EQ(failure->verdict, FailureVerdict::kExhausted) << "9 KiB per bank needed, 8 free";
}

TEST(BankAllocatorTest, PartitionManagesOnlyItsPart) {
  BankAllocator first(kFourBanks, {0, 2});
  BankAllocator second(kFourBanks, {1, 2});
  EXPECT_EQ(first.managed().start, 0x10000u);
  EXPECT_EQ(second.managed().start, 0x12000u);
  EXPECT_EQ(second.managed().size, 0x2000u);
  EXPECT_EQ(second.Allocate(4 * 0x2000, 1024), 0x12000u) << "the whole part";
  EXPECT_FALSE(second.Allocate(16, 16));
  EXPECT_EQ(first.Allocate(4 * 0x2000, 1024), 0x10000u);
  const RegionSnapshot snapshot = second.Snapshot();
  EXPECT_EQ(snapshot.managed_start, InterleavedAddress(kFourBanks, 0x12000));
  EXPECT_EQ(snapshot.managed_size, 4u * 0x2000);
  EXPECT_THROW(BankAllocator(kFourBanks, {2, 2}), std::invalid_argument);
}

TEST(BankAllocatorTest, CbRegionMustEndAtOrBelowTheLowestLiveBuffer) {
  BankRegion region = kFourBanks;
  region.placement = Placement::kTopDown;
  BankAllocator allocator(region);
  const auto never = [](const FailureTruth&) { FAIL() << "no clash expected"; };
  EXPECT_TRUE(allocator.CheckCbRegion(0x14000, [] {}, never)) << "nothing live: all of the region";
  const std::uint64_t low = *allocator.Allocate(4 * 1024, 1024, "low", [](std::uint64_t) {}, never);  // 0x13c00
  EXPECT_TRUE(allocator.CheckCbRegion(low, [] {}, never)) << "ending exactly at the buffer fits";
  std::optional<FailureTruth> clash;
  EXPECT_FALSE(allocator.CheckCbRegion(low + 16, [] { FAIL(); }, [&](const FailureTruth& f) { clash = f; }));
  ASSERT_TRUE(clash);
  EXPECT_EQ(clash->verdict, FailureVerdict::kCbClash);
  EXPECT_EQ(clash->type, MemType::kCb);
  EXPECT_EQ(clash->size, (low + 16 - region.base) * 4);
  EXPECT_EQ(clash->cb_region_end, InterleavedAddress(region, low + 16));
  ASSERT_EQ(clash->below.size(), 1u);
  EXPECT_EQ(clash->below[0].address, InterleavedAddress(region, low));
  EXPECT_STREQ(clash->below[0].site, "low");
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
