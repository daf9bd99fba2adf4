// free_list_test.cc — FreeList: first fit, alignment, coalescing, exhaustion.
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
