// proc_address.cc — cuGetProcAddress (CUDA 11.3 to 11.8) and
// cuGetProcAddress_v2 (CUDA 12 and later): how cudart, static or shared,
// and cudaGetDriverEntryPoint reach the driver. The real function answers;
// when it returned a variant the interposer wraps (driver_variants.h), the
// caller gets the wrapper and the function the driver returned becomes the
// wrapper's real function (entry_points.h). Substituted whether or not
// tracking is on: the wrappers then only pass calls through.
//
// Thread-safety: any thread, as the real functions.
#include "cuda/cuda_variants.h"
#include "cuda/driver_variants.h"
#include "cuda/entry_points.h"

namespace {

using namespace memledger::cuda;

void SubstituteWrapper(const char* symbol, void** pfn, int cuda_version, cuuint64_t flags) {
  if (symbol == nullptr || pfn == nullptr || *pfn == nullptr) return;
  if (const auto entry = DriverVariantFor(symbol, cuda_version, flags)) *pfn = AdoptReal(*entry, *pfn);
}

}  // namespace

extern "C" {

CUresult CUDAAPI cuGetProcAddress_v2(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                                     CUdriverProcAddressQueryResult* symbolStatus) {
  const auto real = Real<decltype(&cuGetProcAddress_v2)>(EntryPoint::kCuGetProcAddressV12000);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(symbol, pfn, cudaVersion, flags, symbolStatus);
  if (result == CUDA_SUCCESS) SubstituteWrapper(symbol, pfn, cudaVersion, flags);
  return result;
}

CUresult CUDAAPI cuGetProcAddressV11030(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags) {
  const auto real = Real<decltype(&cuGetProcAddressV11030)>(EntryPoint::kCuGetProcAddressV11030);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(symbol, pfn, cudaVersion, flags);
  if (result == CUDA_SUCCESS) SubstituteWrapper(symbol, pfn, cudaVersion, flags);
  return result;
}

}  // extern "C"
