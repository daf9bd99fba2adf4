// driver_variants.cc — see driver_variants.h.
#include "cuda/driver_variants.h"

#include <cuda.h>

namespace memledger::cuda {
namespace {

struct Variant {
  std::string_view symbol;      // the base name cuGetProcAddress is asked for
  int since;                    // the CUDA version that introduced this variant
  EntryPoint legacy_stream;     // what it returns by default
  EntryPoint per_thread_stream; // what it returns with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
};

// Newest variant of a name first.
constexpr Variant kVariants[] = {
    {"cuMemAlloc", 3020, EntryPoint::kCuMemAlloc, EntryPoint::kCuMemAlloc},
    {"cuMemFree", 3020, EntryPoint::kCuMemFree, EntryPoint::kCuMemFree},
    {"cuMemAllocPitch", 3020, EntryPoint::kCuMemAllocPitch, EntryPoint::kCuMemAllocPitch},
    {"cuMemAllocManaged", 6000, EntryPoint::kCuMemAllocManaged, EntryPoint::kCuMemAllocManaged},
    {"cuMemAllocAsync", 11020, EntryPoint::kCuMemAllocAsync, EntryPoint::kCuMemAllocAsyncPtsz},
    {"cuMemFreeAsync", 11020, EntryPoint::kCuMemFreeAsync, EntryPoint::kCuMemFreeAsyncPtsz},
    {"cuMemCreate", 10020, EntryPoint::kCuMemCreate, EntryPoint::kCuMemCreate},
    {"cuMemRelease", 10020, EntryPoint::kCuMemRelease, EntryPoint::kCuMemRelease},
    {"cuMemRetainAllocationHandle", 11000, EntryPoint::kCuMemRetainAllocationHandle,
     EntryPoint::kCuMemRetainAllocationHandle},
    {"cuMemMap", 10020, EntryPoint::kCuMemMap, EntryPoint::kCuMemMap},
    {"cuMemUnmap", 10020, EntryPoint::kCuMemUnmap, EntryPoint::kCuMemUnmap},
    {"cuGetProcAddress", 12000, EntryPoint::kCuGetProcAddressV12000, EntryPoint::kCuGetProcAddressV12000},
    {"cuGetProcAddress", 11030, EntryPoint::kCuGetProcAddressV11030, EntryPoint::kCuGetProcAddressV11030},
};

}  // namespace

std::optional<EntryPoint> DriverVariantFor(std::string_view symbol, int cuda_version, std::uint64_t flags) {
  const bool per_thread = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0;
  for (const Variant& variant : kVariants) {
    if (variant.symbol != symbol) continue;
    if (cuda_version >= variant.since) return per_thread ? variant.per_thread_stream : variant.legacy_stream;
  }
  return std::nullopt;
}

}  // namespace memledger::cuda
