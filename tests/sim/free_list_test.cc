// free_list_test.cc — FreeList: first fit bottom-up and top-down, alignment,
// coalescing, exhaustion, the largest free block.
#include "sim/free_list.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace memledger::sim {
namespace {

TEST(FreeListTest, FirstFitTakesTheLowestBlockThatFits) {
  FreeList list(0x1000, 0x1000);
  EXPECT_EQ(list.Allocate(0x100, 16), 0x1000u);
  EXPECT_EQ(list.Allocate(0x200, 16), 0x1100u);
  EXPECT_EQ(list.Allocate(0x100, 16), 0x1300u);
  list.Release(0x1000, 0x100);  // a 0x100 hole at the bottom
  EXPECT_EQ(list.Allocate(0x200, 16), 0x1400u) << "the hole is too small";
  EXPECT_EQ(list.Allocate(0x80, 16), 0x1000u) << "the lowest fitting block wins";
}

TEST(FreeListTest, TopDownTakesTheHighestBlockThatFitsAtItsTop) {
  FreeList list(0x1000, 0x1000, Placement::kTopDown);
  EXPECT_EQ(list.Allocate(0x100, 16), 0x1f00u);
  EXPECT_EQ(list.Allocate(0x200, 16), 0x1d00u);
  EXPECT_EQ(list.Allocate(0x100, 16), 0x1c00u);
  list.Release(0x1f00, 0x100);  // a 0x100 hole at the top
  EXPECT_EQ(list.Allocate(0x200, 16), 0x1a00u) << "the hole is too small";
  EXPECT_EQ(list.Allocate(0x80, 16), 0x1f80u) << "the highest fitting block wins, at its top";
  EXPECT_EQ(list.largest_free_block(), 0xa00u);
  EXPECT_EQ(list.free_block_count(), 2u);
}

TEST(FreeListTest, TopDownAlignsDownAndLeavesTheSlackAboveFree) {
  FreeList list(0, 0x1000, Placement::kTopDown);
  EXPECT_EQ(list.Allocate(0x10, 16), 0xff0u);
  EXPECT_EQ(list.Allocate(0x20, 0x100), 0xf00u) << "aligned down inside the block";
  EXPECT_EQ(list.free_bytes(), 0x1000u - 0x30u);
  EXPECT_EQ(list.Allocate(0xd0, 16), 0xf20u) << "the slack above the aligned block is still usable";
  EXPECT_FALSE(list.Allocate(0x1000, 16));
}

TEST(FreeListTest, AlignmentPaddingStaysFree) {
  FreeList list(0, 0x1000);
  EXPECT_EQ(list.Allocate(0x10, 16), 0u);
  EXPECT_EQ(list.Allocate(0x100, 0x100), 0x100u);
  EXPECT_EQ(list.free_bytes(), 0x1000u - 0x110u);
  EXPECT_EQ(list.Allocate(0x10, 16), 0x10u) << "the padding in front of the aligned block is still usable";
}

TEST(FreeListTest, ReleaseCoalescesWithBothNeighbours) {
  FreeList list(0, 0x300);
  const auto a = list.Allocate(0x100, 16);
  const auto b = list.Allocate(0x100, 16);
  const auto c = list.Allocate(0x100, 16);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(list.free_block_count(), 0u);
  list.Release(*a, 0x100);
  list.Release(*c, 0x100);
  EXPECT_EQ(list.free_block_count(), 2u);
  list.Release(*b, 0x100);
  EXPECT_EQ(list.free_block_count(), 1u);
  EXPECT_EQ(list.free_bytes(), 0x300u);
  EXPECT_EQ(list.Allocate(0x300, 16), 0u) << "the whole range is one block again";
}

TEST(FreeListTest, ExhaustionReturnsNullopt) {
  FreeList list(0, 0x200);
  EXPECT_TRUE(list.Allocate(0x200, 16));
  EXPECT_FALSE(list.Allocate(0x10, 16));
  list.Release(0, 0x200);
  EXPECT_TRUE(list.Allocate(0x10, 16));
}

TEST(FreeListTest, RejectsBadReleases) {
  FreeList list(0x1000, 0x100);
  EXPECT_THROW(list.Release(0x1000, 0x10), std::logic_error) << "already free";
  EXPECT_THROW(list.Release(0x2000, 0x10), std::invalid_argument) << "outside the range";
  EXPECT_THROW(list.Allocate(0, 16), std::invalid_argument);
  EXPECT_THROW(list.Allocate(0x10, 3), std::invalid_argument);
}

}  // namespace
}  // namespace memledger::sim
