// free_space_map_test.cc — FreeSpaceMap: the free bytes, holes and largest
// free block of one address space as ranges come and go.
#include "ledger/free_space_map.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

TEST(FreeSpaceMap, AnEmptySpaceIsOneHole) {
  const FreeSpaceMap map({.base = 0x1000, .size = 4096, .banks = 1, .alignment = 16});
  const SpaceFigures& figures = map.Figures();
  EXPECT_EQ(figures.free_bytes, 4096u);
  EXPECT_EQ(figures.holes, 1u);
  EXPECT_EQ(figures.largest_free_block, 4096u);
  EXPECT_EQ(figures.largest_free_start, 0x1000u);
  EXPECT_EQ(map.LowestOccupied(), std::nullopt);
  EXPECT_FALSE(map.coarse());
}

TEST(FreeSpaceMap, RangesSplitAndMergeHoles) {
  FreeSpaceMap map({.base = 0, .size = 1024, .banks = 1, .alignment = 16});
  EXPECT_TRUE(map.Occupy(256, 512));
  EXPECT_TRUE(map.Occupy(768, 832));
  SpaceFigures figures = map.Figures();
  EXPECT_EQ(figures.free_bytes, 1024u - 256 - 64);
  EXPECT_EQ(figures.holes, 3u);  // [0,256) [512,768) [832,1024)
  EXPECT_EQ(figures.largest_free_block, 256u);
  EXPECT_EQ(figures.largest_free_start, 0u) << "the lowest of equal holes";
  EXPECT_EQ(map.LowestOccupied(), 256u);
  const auto holes = map.Holes(10);
  ASSERT_EQ(holes.size(), 3u);
  EXPECT_EQ(holes[1], (std::pair<std::uint64_t, std::uint64_t>{512, 256}));
  EXPECT_EQ(holes[2], (std::pair<std::uint64_t, std::uint64_t>{832, 192}));
  EXPECT_EQ(map.Holes(1).size(), 1u);
  map.Release(256, 512);
  figures = map.Figures();
  EXPECT_EQ(figures.holes, 2u);
  EXPECT_EQ(figures.largest_free_block, 768u);
  EXPECT_EQ(figures.largest_free_start, 0u);
  EXPECT_FALSE(map.stale());
}

// Ranges over word boundaries of the bitmap, and the whole space.
TEST(FreeSpaceMap, LongRangesCrossWords) {
  FreeSpaceMap map({.base = 0, .size = 1000 * 16, .banks = 1, .alignment = 16});
  EXPECT_TRUE(map.Occupy(16 * 63, 16 * 700));
  EXPECT_EQ(map.Figures().free_bytes, 16u * (1000 - 637));
  EXPECT_EQ(map.Figures().largest_free_block, 16u * 300);
  EXPECT_EQ(map.Figures().largest_free_start, 16u * 700);
  EXPECT_TRUE(map.Occupy(0, 16 * 63));
  EXPECT_TRUE(map.Occupy(16 * 700, 16 * 1000));
  EXPECT_EQ(map.Figures().free_bytes, 0u);
  EXPECT_EQ(map.Figures().holes, 0u);
  EXPECT_EQ(map.Figures().largest_free_block, 0u);
  map.Release(0, 16 * 1000);
  EXPECT_EQ(map.Figures().free_bytes, 16000u);
  EXPECT_EQ(map.Figures().holes, 1u);
}

// A banked space counts in granules of alignment x banks, in the hooks' units.
TEST(FreeSpaceMap, BankedSpacesCountInBankedGranules) {
  // 4 banks of 1 KiB at bank-local 0x100, 32-byte pages: hooked x4.
  FreeSpaceMap map({.base = 0x100 * 4, .size = 1024 * 4, .banks = 4, .alignment = 32});
  EXPECT_EQ(map.granule(), 128u);
  // A buffer reserving 64 bytes per bank at bank-local 0x100 + 96.
  EXPECT_TRUE(map.Occupy(0x400 + 96 * 4, 0x400 + 160 * 4));
  const SpaceFigures& figures = map.Figures();
  EXPECT_EQ(figures.free_bytes, 4096u - 256);
  EXPECT_EQ(figures.largest_free_block / 4, 1024u - 160) << "per bank";
  EXPECT_EQ(figures.holes, 2u);
}

TEST(FreeSpaceMap, RangesOutsideAreClippedAndSaid) {
  FreeSpaceMap map({.base = 1024, .size = 1024, .banks = 1, .alignment = 1});
  EXPECT_FALSE(map.Occupy(0, 1100)) << "begins below the space";
  EXPECT_FALSE(map.Occupy(2000, 3000)) << "ends above it";
  EXPECT_FALSE(map.Occupy(5000, 6000)) << "wholly outside";
  EXPECT_EQ(map.Figures().free_bytes, 1024u - 76 - 48);
  map.Release(0, 1100);
  map.Release(2000, 3000);
  map.Release(5000, 6000);
  EXPECT_EQ(map.Figures().free_bytes, 1024u);
}

// The last granule may reach past the space's end: only its inside counts.
TEST(FreeSpaceMap, APartialLastGranuleCountsWhatIsInside) {
  FreeSpaceMap map({.base = 0, .size = 100, .banks = 1, .alignment = 32});
  EXPECT_EQ(map.Figures().free_bytes, 100u);
  EXPECT_TRUE(map.Occupy(0, 96));
  EXPECT_EQ(map.Figures().free_bytes, 4u);
  EXPECT_EQ(map.Figures().largest_free_block, 4u);
}

// Two live ranges over one granule: releasing one would free the other's
// too, so the map says it is stale until rebuilt.
TEST(FreeSpaceMap, OverlappingRangesMakeItStaleUntilRebuilt) {
  FreeSpaceMap map({.base = 0, .size = 1024, .banks = 1, .alignment = 16});
  EXPECT_TRUE(map.Occupy(0, 256));
  EXPECT_TRUE(map.Occupy(128, 384));
  EXPECT_FALSE(map.stale()) << "nothing was released yet";
  map.Release(0, 256);
  EXPECT_TRUE(map.stale());
  map.Clear();
  EXPECT_TRUE(map.Occupy(128, 384));
  EXPECT_FALSE(map.stale());
  EXPECT_EQ(map.Figures().free_bytes, 1024u - 256);
}

// A space of more granules than the map keeps bits for is counted in
// coarser ones: figures rounded up to them, never a huge allocation.
TEST(FreeSpaceMap, HugeSpacesAreCountedCoarsely) {
  const std::uint64_t size = FreeSpaceMap::kMaxGranules * 4;  // alignment 1: 4x too many granules
  FreeSpaceMap map({.base = 0, .size = size, .banks = 1, .alignment = 1});
  EXPECT_TRUE(map.coarse());
  EXPECT_EQ(map.granule(), 4u);
  EXPECT_TRUE(map.Occupy(0, 1));
  EXPECT_EQ(map.Figures().free_bytes, size - 4) << "a byte occupies its coarse granule";
}

TEST(FreeSpaceMap, FiguresAreCachedUntilAChange) {
  FreeSpaceMap map({.base = 0, .size = 1024, .banks = 1, .alignment = 16});
  const SpaceFigures* first = &map.Figures();
  EXPECT_EQ(first->holes, 1u);
  map.Occupy(512, 528);
  EXPECT_EQ(map.Figures().holes, 2u) << "a change is seen";
}

}  // namespace
}  // namespace memledger
