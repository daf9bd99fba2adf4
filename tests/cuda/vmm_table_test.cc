// vmm_table_test.cc — src/cuda/vmm_table.h: a physical allocation ends when
// its last handle reference and its last mapping are gone, in any order.
#include "cuda/vmm_table.h"

#include <gtest/gtest.h>

namespace memledger::cuda {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kVa = 0x7f0000000000;

std::vector<std::uint64_t> Ids(const std::vector<PhysicalAllocation>& ended) {
  std::vector<std::uint64_t> ids;
  for (const PhysicalAllocation& physical : ended) ids.push_back(physical.buffer_id);
  return ids;
}

TEST(VmmTable, ReleaseOfAnUnmappedAllocationEndsIt) {
  VmmTable vmm;
  EXPECT_TRUE(vmm.Create(0x10, {1, 0, 2 * kMiB}).empty());
  const auto ended = vmm.Release(0x10);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].buffer_id, 1u);
  EXPECT_EQ(ended[0].size, 2 * kMiB);
  EXPECT_TRUE(vmm.Release(0x10).empty());  // released twice: the driver refuses; nothing to end
}

TEST(VmmTable, ReleasedWhileMappedEndsAtTheUnmap) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  EXPECT_TRUE(vmm.Map(kVa, 2 * kMiB, 0x10).empty());
  EXPECT_TRUE(vmm.Release(0x10).empty());
  EXPECT_EQ(Ids(vmm.Unmap(kVa, 2 * kMiB)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, UnmappedFirstEndsAtTheRelease) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  EXPECT_TRUE(vmm.Unmap(kVa, 2 * kMiB).empty());
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, OneUnmapEndsEveryMappingInItsRange) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Create(0x11, {2, 1, 4 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  vmm.Map(kVa + 2 * kMiB, 2 * kMiB, 0x10);  // the same allocation twice
  vmm.Map(kVa + 4 * kMiB, 4 * kMiB, 0x11);
  vmm.Release(0x10);
  vmm.Release(0x11);
  EXPECT_EQ(Ids(vmm.Unmap(kVa, 4 * kMiB)), std::vector<std::uint64_t>{1});
  EXPECT_EQ(Ids(vmm.Unmap(kVa + 4 * kMiB, 4 * kMiB)), std::vector<std::uint64_t>{2});
}

TEST(VmmTable, ARetainedHandleKeepsTheAllocation) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  EXPECT_TRUE(vmm.Retain(0x20, kVa + 4096));  // any address inside the mapping
  EXPECT_FALSE(vmm.Retain(0x21, kVa + 2 * kMiB));  // just past it
  EXPECT_TRUE(vmm.Release(0x10).empty());
  EXPECT_TRUE(vmm.Unmap(kVa, 2 * kMiB).empty());
  EXPECT_EQ(Ids(vmm.Release(0x20)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, RetainingTheSameHandleValueTwiceNeedsTwoReleases) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  EXPECT_TRUE(vmm.Retain(0x10, kVa));
  vmm.Unmap(kVa, 2 * kMiB);
  EXPECT_TRUE(vmm.Release(0x10).empty());
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, AHandleValueReusedAfterItsReleaseIsANewAllocation) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  vmm.Release(0x10);                     // allocation 1 lives on, mapped
  vmm.Create(0x10, {2, 0, 2 * kMiB});    // the driver hands out 0x10 again
  EXPECT_EQ(Ids(vmm.Unmap(kVa, 2 * kMiB)), std::vector<std::uint64_t>{1});
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{2});
}

TEST(VmmTable, HandlesItDidNotSeeCreatedAreNotBooked) {
  VmmTable vmm;
  EXPECT_TRUE(vmm.Map(kVa, 2 * kMiB, 0x99).empty());  // imported, or memory on the host
  EXPECT_TRUE(vmm.Unmap(kVa, 2 * kMiB).empty());
  EXPECT_TRUE(vmm.Release(0x99).empty());
  EXPECT_FALSE(vmm.Retain(0x98, kVa));
}

TEST(VmmTable, AStaleBookingGivesWay) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  // Its release went unseen: a new allocation under the same handle value ends the old one.
  EXPECT_EQ(Ids(vmm.Create(0x10, {2, 0, 2 * kMiB})), std::vector<std::uint64_t>{1});
  vmm.Create(0x11, {3, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  vmm.Release(0x10);
  // Its unmap went unseen: a new mapping at the same address ends the old one.
  EXPECT_EQ(Ids(vmm.Map(kVa, 2 * kMiB, 0x11)), std::vector<std::uint64_t>{2});
}

TEST(VmmTable, AReleaseBookedBeforeTheRealOneLeavesTheReusedValueToItsNewAllocation) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 1, 2 * kMiB});
  // cuMemRelease(0x10) on one thread, booked before the real call; then the
  // driver gives 0x10 to another thread's cuMemCreate before that release returns.
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{1});
  EXPECT_TRUE(vmm.Create(0x10, {2, 1, 2 * kMiB}).empty());
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{2});  // only its own release ends it
}

TEST(VmmTable, AFailedReleaseIsPutBack) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  VmmDrops drops;
  EXPECT_EQ(Ids(vmm.Release(0x10, &drops)), std::vector<std::uint64_t>{1});
  EXPECT_EQ(Ids(vmm.Restore(drops)), std::vector<std::uint64_t>{1});  // live again: book it again
  vmm.Map(kVa, 2 * kMiB, 0x10);  // the handle is booked again too
  EXPECT_TRUE(vmm.Release(0x10).empty());
  EXPECT_EQ(Ids(vmm.Unmap(kVa, 2 * kMiB)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, AFailedUnmapIsPutBack) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  vmm.Map(kVa + 2 * kMiB, 2 * kMiB, 0x10);
  vmm.Release(0x10);
  VmmDrops drops;
  EXPECT_EQ(Ids(vmm.Unmap(kVa, 4 * kMiB, &drops)), std::vector<std::uint64_t>{1});
  EXPECT_EQ(Ids(vmm.Restore(drops)), std::vector<std::uint64_t>{1});
  EXPECT_TRUE(vmm.Unmap(kVa, 2 * kMiB).empty());  // both mappings are back
  EXPECT_EQ(Ids(vmm.Unmap(kVa + 2 * kMiB, 2 * kMiB)), std::vector<std::uint64_t>{1});
}

TEST(VmmTable, AFailedReleaseThatEndedNothingRevivesNothing) {
  VmmTable vmm;
  vmm.Create(0x10, {1, 0, 2 * kMiB});
  vmm.Map(kVa, 2 * kMiB, 0x10);
  VmmDrops drops;
  EXPECT_TRUE(vmm.Release(0x10, &drops).empty());
  EXPECT_TRUE(vmm.Restore(drops).empty());
  EXPECT_TRUE(vmm.Unmap(kVa, 2 * kMiB).empty());  // the handle still holds it
  EXPECT_EQ(Ids(vmm.Release(0x10)), std::vector<std::uint64_t>{1});
}

}  // namespace
}  // namespace memledger::cuda
