// driver_api.cc — the CUDA driver's allocation calls (libcuda.so.1):
// cuMemAlloc_v2, cuMemAllocPitch_v2, cuMemAllocManaged, cuMemAllocAsync and
// cuMemFree_v2, cuMemFreeAsync (with the _ptsz variants of the async calls).
// A program reaches them by name (linked with -lcuda: LD_PRELOAD), through
// dlsym on a dlopen'd libcuda (dlsym_hook.cc) or through cuGetProcAddress
// (proc_address.cc) — the last is how cudart, static or shared, calls them.
// Each calls the real function and, when it is the outermost tracked call on
// its thread, books what it allocated, or its failure when it returned
// CUDA_ERROR_OUT_OF_MEMORY (books.h); inside a runtime call
// (cudaMalloc calls cuMemAlloc_v2) it passes through (tracked_call.h).
//
// Thread-safety: any thread, as the real functions.
#include "cuda/books.h"
#include "cuda/current_device.h"
#include "cuda/cuda_variants.h"
#include "cuda/device_registry.h"
#include "cuda/entry_points.h"
#include "cuda/tracked_call.h"

namespace {

using namespace memledger::cuda;

CUresult AllocAsync(EntryPoint entry, CUdeviceptr* dptr, size_t bytesize, CUstream hStream) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemAllocAsync)>(entry);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(dptr, bytesize, hStream);
  if (result == CUDA_SUCCESS && call.books()) {
    BookAlloc(StreamDevice(hStream, DriverCurrentDevice), Types().device_memory, *dptr, bytesize);
  } else if (result == CUDA_ERROR_OUT_OF_MEMORY && call.books()) {
    BookFailure(StreamDevice(hStream, DriverCurrentDevice), Types().device_memory, bytesize);
  }
  return result;
}

CUresult FreeAsync(EntryPoint entry, CUdeviceptr dptr, CUstream hStream) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemFreeAsync)>(entry);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  return FreeAndBook(call, dptr, CUDA_SUCCESS, [&] { return real(dptr, hStream); });
}

}  // namespace

extern "C" {

CUresult CUDAAPI cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemAlloc_v2)>(EntryPoint::kCuMemAlloc);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(dptr, bytesize);
  if (result == CUDA_SUCCESS && call.books()) {
    BookAlloc(DriverCurrentDevice(), Types().device_memory, *dptr, bytesize);
  } else if (result == CUDA_ERROR_OUT_OF_MEMORY && call.books()) {
    BookFailure(DriverCurrentDevice(), Types().device_memory, bytesize);
  }
  return result;
}

CUresult CUDAAPI cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pPitch, size_t WidthInBytes, size_t Height,
                                    unsigned int ElementSizeBytes) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemAllocPitch_v2)>(EntryPoint::kCuMemAllocPitch);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
  if (result == CUDA_SUCCESS && call.books()) {
    BookAlloc(DriverCurrentDevice(), Types().device_memory, *dptr, *pPitch * Height);
  } else if (result == CUDA_ERROR_OUT_OF_MEMORY && call.books()) {
    BookFailure(DriverCurrentDevice(), Types().device_memory, WidthInBytes * Height);  // no pitch was given
  }
  return result;
}

CUresult CUDAAPI cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemAllocManaged)>(EntryPoint::kCuMemAllocManaged);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(dptr, bytesize, flags);
  if (result == CUDA_SUCCESS && call.books()) {
    BookAlloc(DriverCurrentDevice(), Types().managed, *dptr, bytesize);
  } else if (result == CUDA_ERROR_OUT_OF_MEMORY && call.books()) {
    BookFailure(DriverCurrentDevice(), Types().managed, bytesize);
  }
  return result;
}

CUresult CUDAAPI cuMemFree_v2(CUdeviceptr dptr) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemFree_v2)>(EntryPoint::kCuMemFree);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  return FreeAndBook(call, dptr, CUDA_SUCCESS, [&] { return real(dptr); });
}

CUresult CUDAAPI cuMemAllocAsync(CUdeviceptr* dptr, size_t bytesize, CUstream hStream) {
  return AllocAsync(EntryPoint::kCuMemAllocAsync, dptr, bytesize, hStream);
}

CUresult CUDAAPI cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUstream hStream) {
  return AllocAsync(EntryPoint::kCuMemAllocAsyncPtsz, dptr, bytesize, hStream);
}

CUresult CUDAAPI cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) {
  return FreeAsync(EntryPoint::kCuMemFreeAsync, dptr, hStream);
}

CUresult CUDAAPI cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) {
  return FreeAsync(EntryPoint::kCuMemFreeAsyncPtsz, dptr, hStream);
}

}  // extern "C"
