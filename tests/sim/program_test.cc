// program_test.cc — Program launches (circular buffers come and go, kernel
// binaries stay cached) and ProgramCache eviction and unloading.
#include "sim/program.h"

#include <gtest/gtest.h>

#include "sim/program_cache.h"

namespace memledger::sim {
namespace {

// A device with only a CB region of 16 KiB and a KERNEL region of 16 KiB.
DeviceSpec SmallCoreSpec() {
  return DeviceSpec{"sim-small_core",
                    {{MemType::kCb, 0x8000, 0x4000, 1, 16}, {MemType::kKernel, 0x1000, 0x4000, 1, 16}}};
}

Program TwoKernelProgram(const char* name, std::uint64_t binary_size) {
  return Program(name, {{"reader", binary_size}, {"compute", binary_size}}, {{2048, 1024}, {4096, 1024}}, 1);
}

RegionUsage Usage(const Device& device, MemType type) { return device.allocator(type)->usage(); }

TEST(ProgramTest, LaunchAllocatesAndFreesItsCircularBuffers) {
  Device device(0, SmallCoreSpec(), {});
  const Program program = TwoKernelProgram("eltwise", 2048);
  ASSERT_TRUE(program.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kCb).allocations, 2u);
  EXPECT_EQ(Usage(device, MemType::kCb).live_allocations, 0u);
  EXPECT_EQ(Usage(device, MemType::kKernel).live_allocations, 2u) << "binaries stay loaded";
  EXPECT_EQ(Usage(device, MemType::kKernel).live_bytes, 4096u);

  ASSERT_TRUE(program.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kCb).allocations, 4u);
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
  EXPECT_FALSE(too_many_cbs.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kCb).live_allocations, 0u);
  const Program huge_binary("huge", {{"compute", 0x8000}}, {}, 1);
  EXPECT_FALSE(huge_binary.Launch(device));
  EXPECT_EQ(Usage(device, MemType::kKernel).live_allocations, 0u) << "it evicted everything trying to fit";
}

}  // namespace
}  // namespace memledger::sim
