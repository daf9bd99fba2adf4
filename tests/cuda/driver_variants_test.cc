// driver_variants_test.cc — src/cuda/driver_variants.h: the wrapper that
// stands for what cuGetProcAddress returns, by name, version and flags.
#include "cuda/driver_variants.h"

#include <cuda.h>
#include <gtest/gtest.h>

namespace memledger::cuda {
namespace {

constexpr std::uint64_t kDefault = CU_GET_PROC_ADDRESS_DEFAULT;
constexpr std::uint64_t kLegacy = CU_GET_PROC_ADDRESS_LEGACY_STREAM;
constexpr std::uint64_t kPerThread = CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;

TEST(DriverVariantFor, TheVariantAVersionIntroduced) {
  EXPECT_EQ(DriverVariantFor("cuMemAlloc", 13000, kDefault), EntryPoint::kCuMemAlloc);
  EXPECT_EQ(DriverVariantFor("cuMemAlloc", 3020, kDefault), EntryPoint::kCuMemAlloc);
  EXPECT_EQ(DriverVariantFor("cuMemAlloc", 3010, kDefault), std::nullopt);  // the 32-bit cuMemAlloc: not wrapped
  EXPECT_EQ(DriverVariantFor("cuMemFree", 12000, kDefault), EntryPoint::kCuMemFree);
  EXPECT_EQ(DriverVariantFor("cuMemAllocPitch", 12000, kDefault), EntryPoint::kCuMemAllocPitch);
  EXPECT_EQ(DriverVariantFor("cuMemAllocManaged", 12000, kDefault), EntryPoint::kCuMemAllocManaged);
  EXPECT_EQ(DriverVariantFor("cuMemCreate", 10020, kDefault), EntryPoint::kCuMemCreate);
  EXPECT_EQ(DriverVariantFor("cuMemCreate", 10010, kDefault), std::nullopt);
  EXPECT_EQ(DriverVariantFor("cuMemRetainAllocationHandle", 11000, kDefault),
            EntryPoint::kCuMemRetainAllocationHandle);
  EXPECT_EQ(DriverVariantFor("cuMemUnmap", 12000, kDefault), EntryPoint::kCuMemUnmap);
}

TEST(DriverVariantFor, PerThreadDefaultStreamVariants) {
  EXPECT_EQ(DriverVariantFor("cuMemAllocAsync", 12000, kDefault), EntryPoint::kCuMemAllocAsync);
  EXPECT_EQ(DriverVariantFor("cuMemAllocAsync", 12000, kLegacy), EntryPoint::kCuMemAllocAsync);
  EXPECT_EQ(DriverVariantFor("cuMemAllocAsync", 12000, kPerThread), EntryPoint::kCuMemAllocAsyncPtsz);
  EXPECT_EQ(DriverVariantFor("cuMemFreeAsync", 12000, kPerThread), EntryPoint::kCuMemFreeAsyncPtsz);
  EXPECT_EQ(DriverVariantFor("cuMemAlloc", 12000, kPerThread), EntryPoint::kCuMemAlloc);  // no stream: one variant
}

TEST(DriverVariantFor, GetProcAddressItself) {
  EXPECT_EQ(DriverVariantFor("cuGetProcAddress", 12000, kDefault), EntryPoint::kCuGetProcAddressV12000);
  EXPECT_EQ(DriverVariantFor("cuGetProcAddress", 11080, kDefault), EntryPoint::kCuGetProcAddressV11030);
  EXPECT_EQ(DriverVariantFor("cuGetProcAddress", 11020, kDefault), std::nullopt);
}

TEST(DriverVariantFor, NamesItDoesNotWrap) {
  EXPECT_EQ(DriverVariantFor("cuMemAlloc_v2", 12000, kDefault), std::nullopt);  // asked by base name only
  EXPECT_EQ(DriverVariantFor("cuMemAllocHost", 12000, kDefault), std::nullopt);
  EXPECT_EQ(DriverVariantFor("cuCtxGetDevice", 12000, kDefault), std::nullopt);
  EXPECT_EQ(DriverVariantFor("", 12000, kDefault), std::nullopt);
}

}  // namespace
}  // namespace memledger::cuda
