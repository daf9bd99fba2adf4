// program_test.cc — Program launches (circular buffers come and go in L1,
// laid out from its base; a layout that reaches a live L1 buffer is a clash;
// kernel binaries stay cached) and ProgramCache eviction and unloading.
#include "sim/program.h"

#include <gtest/gtest.h>

#include "sim/program_cache.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kL1Base = 0x8000;

// A device with an L1 of two cores of 16 KiB (top-down) and a KERNEL region of 16 KiB.
DeviceSpec SmallCoreSpec() {
  return DeviceSpec{"sim-small_core",
                    {{MemType::kL1, kL1Base, 0x4000, 2, 16, Placement::kTopDown},
                     {MemType::kKernel, 0x1000, 0x4000, 1, 16}}};
}

Program TwoKernelProgram(const char* name, std::uint64_t binary_size) {
  return Program(name, {{"reader", binary_size}, {"compute", binary_size}}, {{2048, 1024}, {4096, 1024}}, 1);
}

RegionUsage Usage(const Device& device, MemType type) { return device.allocator(type)->usage(); }

TEST(ProgramTest, LaunchAllocatesAndFreesItsCircularBuffers) {
  Device device(0, SmallCoreSpec(), {});
  const Program program = TwoKernelProgram("eltwise", 2048);
  ASSERT_TRUE(program.Launch(device));
  EXPECT_EQ(device.circular_buffer_usage().allocations, 2u);
  EXPECT_EQ(device.circular_buffer_usage().live_allocations, 0u);
  EXPECT_EQ(Usage(device, MemType::kL1).allocations, 0u) << "circular buffers are not L1 buffers";
  EXPECT_EQ(Usage(device, MemType::kKernel).live_allocations, 2u) << "binaries stay loaded";
  EXPECT_EQ(Usage(device, MemType::kKernel).live_bytes, 4096u);

  ASSERT_TRUE(program.Launch(device));
  EXPECT_EQ(device.circular_buffer_usage().allocations, 4u);
  EXPECT_EQ(Usage(device, MemType::kKernel).allocations, 2u) << "a cache hit loads nothing";
}

TEST(ProgramTest, FullKernelRegionEvictsTheLeastRecentlyUsedProgram) {
  Device device(0, SmallCoreSpec(), {});
  const Program a = TwoKernelProgram("a", 4096);  // 8 KiB: two programs fill the region
  const Program b = TwoKernelProgram("b", 4096);
  const Program c = TwoKernelProgram("c", 4096);
  ASSERT_TRUE(a.Launch(device));
  ASSERT_TRUE(b.Launch(device));
  ASSERT_TRUE(a.Launch(device));  // b is now the least recently used
  ASSERT_TRUE(c.Launch(device));
  EXPECT_EQ(device.program_cache().size(), 2u);
  EXPECT_EQ(Usage(device, MemType::kKernel).deallocations, 2u) << "b's two binaries were unloaded";
  ASSERT_TRUE(a.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kKernel).allocations, 6u) << "a stayed cached";
}

TEST(ProgramTest, UnloadProgramsEmptiesTheKernelRegion) {
  Device device(0, SmallCoreSpec(), {});
  ASSERT_TRUE(TwoKernelProgram("a", 1024).Launch(device));
  device.UnloadPrograms();
  EXPECT_EQ(device.program_cache().size(), 0u);
  EXPECT_EQ(Usage(device, MemType::kKernel).live_allocations, 0u);
}

TEST(ProgramTest, LaunchThatDoesNotFitLeavesNothingAllocated) {
  Device device(0, SmallCoreSpec(), {});
  const Program too_many_cbs("wide", {{"reader", 1024}}, {{0x2000, 1024}, {0x2000, 1024}, {0x2000, 1024}}, 1);
  EXPECT_FALSE(too_many_cbs.Launch(device)) << "24 KiB per core of circular buffers in 16 KiB of L1";
  EXPECT_EQ(device.circular_buffer_usage().allocations, 0u);
  const Program huge_binary("huge", {{"compute", 0x8000}}, {}, 1);
  EXPECT_FALSE(huge_binary.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kKernel).live_allocations, 0u) << "it evicted everything trying to fit";
}

TEST(ProgramTest, CircularBuffersAreLaidOutFromL1sBaseUpwards) {
  const CbLayout layout = LayOutCircularBuffers(SmallCoreSpec().regions[0], {{2048, 1024}, {1000, 1000}, {4096, 1024}});
  ASSERT_EQ(layout.buffers.size(), 3u);
  EXPECT_EQ(layout.buffers[0].address, kL1Base);
  EXPECT_EQ(layout.buffers[1].address, kL1Base + 2048);
  EXPECT_EQ(layout.buffers[1].size, 1008u) << "rounded up to L1's alignment";
  EXPECT_EQ(layout.buffers[2].address, kL1Base + 2048 + 1008);
  EXPECT_EQ(layout.end, kL1Base + 2048 + 1008 + 4096);
}

TEST(ProgramTest, CircularBuffersThatReachALiveL1BufferClash) {
  Device device(0, SmallCoreSpec(), {});
  const Program program = TwoKernelProgram("eltwise", 2048);  // 6 KiB of circular buffers per core
  // 10 KiB per core of L1 buffers from the top: the lowest starts 6 KiB above the base.
  std::optional<Allocation> high = device.Allocate(MemType::kL1, AllocationKind::kBuffer, 2 * 0x2000, 1024);
  ASSERT_TRUE(high);
  std::optional<Allocation> low = device.Allocate(MemType::kL1, AllocationKind::kBuffer, 2 * 0x800, 1024);
  ASSERT_TRUE(low);
  EXPECT_EQ(low->address, kL1Base + 0x1800);
  EXPECT_TRUE(program.Launch(device)) << "the circular buffers end exactly where the lowest buffer starts";
  device.Release(*low);
  std::optional<Allocation> lower = device.Allocate(MemType::kL1, AllocationKind::kBuffer, 2 * 0x1000, 1024);
  ASSERT_TRUE(lower);
  EXPECT_FALSE(program.Launch(device));
  const std::vector<FailureTruth> failures = device.failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].verdict, FailureVerdict::kCbClash);
  EXPECT_EQ(failures[0].size, 6u * 1024 * 2) << "the CB region from L1's base, per core x banks";
  EXPECT_EQ(failures[0].cb_region_end, kL1Base + 6 * 1024 * 2);
  ASSERT_EQ(failures[0].below.size(), 1u);
  EXPECT_EQ(failures[0].below[0].address, kL1Base + 0x1000 * 2);
  EXPECT_EQ(device.circular_buffer_usage().live_allocations, 0u);
  device.Release(*lower);
  device.Release(*high);
}

}  // namespace
}  // namespace memledger::sim
