// driver_variants.h — which of the interposer's wrappers stands for the
// function cuGetProcAddress returns. The caller asks by base name, CUDA
// version and flags ("cuMemAlloc", 12000, DEFAULT); the driver answers with
// the variant that version introduced (cuMemAlloc_v2 since 3.2; the _ptsz
// variants when asked for the per-thread default stream). The table follows
// cuda.h and the PFN_<name>_v<version> typedefs of cudaTypedefs.h; a name not
// in it, or a version older than the variant the interposer wraps (the
// 32-bit cuMemAlloc of CUDA 2.0), is not tracked.
//
// Pure: no state; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "cuda/entry_points.h"

namespace memledger::cuda {

std::optional<EntryPoint> DriverVariantFor(std::string_view symbol, int cuda_version, std::uint64_t flags);

}  // namespace memledger::cuda
