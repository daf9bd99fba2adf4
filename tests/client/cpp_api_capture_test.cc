// cpp_api_capture_test.cc — replays the capture that cpp_api_test.cc wrote
// through memledger.hpp (ctest fixture cpp_api_capture) and checks that each
// wrapper reached the books as what it says: pools by name, circular buffers
// as CB, kernels as KERNEL (cpp_api_expected.h).
#include <gtest/gtest.h>

#include "cpp_api_expected.h"
#include "replayed_capture.h"

namespace memledger {
namespace {

class CppApiCapture : public ReplayedCapture {
 protected:
  void SetUp() override { Replay(MEMLEDGER_CPP_API_CAPTURE, "cpp_api_tracking_on"); }
};

TEST_F(CppApiCapture, IsWholeAndEndsCleanly) { ExpectWholeAndExited("cpp_api_test"); }

TEST_F(CppApiCapture, PoolsAreTypesByName) {
  EXPECT_EQ(ledger_.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + MEMLEDGER_MAX_TYPES - MEMLEDGER_FIRST_POOL));
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount), kCppPool);
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount + 1), "pool_17");
  const std::uint16_t pool = PoolType(kCppPool);
  EXPECT_EQ(ledger_.devices().at(0).capacity[pool], kCppPoolCapacity);
  const TypeCounters& counters = Counters(0, pool);
  EXPECT_EQ(counters.allocs, 1u);
  EXPECT_EQ(counters.leaked_bytes, kCppPoolBytes);
  EXPECT_EQ(Counters(0, MEMLEDGER_DRAM).allocs, 0u) << "a pool's buffer is not booked as another type";
}

TEST_F(CppApiCapture, TheAllocatorsFramesAreDeclared) {
  EXPECT_EQ(books().skip_frames, std::vector<std::string>{kCppSkipFrames});
}

TEST_F(CppApiCapture, CircularBuffersAndKernelsAreBookedAsTheirTypes) {
  const TypeCounters& cb = Counters(0, MEMLEDGER_CB);
  EXPECT_EQ(cb.allocs, 2u);
  EXPECT_EQ(cb.frees, 1u);
  EXPECT_EQ(cb.peak_bytes, 2 * kCppCbBytes);
  EXPECT_EQ(cb.leaked_bytes, kCppCbBytes);
  const TypeCounters& kernel = Counters(0, MEMLEDGER_KERNEL);
  EXPECT_EQ(kernel.allocs, 2u);
  EXPECT_EQ(kernel.frees, 1u);
  EXPECT_EQ(kernel.peak_bytes, 2 * kCppKernelBytes);
  EXPECT_EQ(kernel.leaked_bytes, kCppKernelBytes);
  EXPECT_EQ(books().leaked_buffers, 3u);  // the pool's buffer, CB 2, kernel 2
  EXPECT_EQ(books().anomalies, AnomalyCounts{});
}

}  // namespace
}  // namespace memledger
