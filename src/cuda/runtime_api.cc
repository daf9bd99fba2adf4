// runtime_api.cc — the CUDA runtime's allocation calls (shared libcudart):
// cudaMalloc, cudaMallocPitch, cudaMallocManaged, cudaMallocAsync and
// cudaFree, cudaFreeAsync (with the _ptsz variants of the async calls). Each
// calls the real function and, when it is the outermost tracked call on its
// thread, books what it allocated, or its failure when it returned
// cudaErrorMemoryAllocation (books.h); the driver calls cudart makes
// underneath pass through (tracked_call.h).
//
// A program linked with static cudart (nvcc's default) has these functions
// inside itself, where LD_PRELOAD cannot reach: its allocations are seen at
// the driver calls they make (driver_api.cc).
//
// Thread-safety: any thread, as the real functions.
#include <cstdint>

#include "cuda/books.h"
#include "cuda/current_device.h"
#include "cuda/cuda_variants.h"
#include "cuda/device_registry.h"
#include "cuda/entry_points.h"
#include "cuda/tracked_call.h"

namespace {

using namespace memledger::cuda;

std::uint64_t AddressOf(const void* pointer) { return reinterpret_cast<std::uintptr_t>(pointer); }

cudaError_t MallocAsync(EntryPoint entry, void** pointer, std::size_t size, cudaStream_t stream) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaMallocAsync)>(entry);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  const cudaError_t result = real(pointer, size, stream);
  if (result == cudaSuccess && call.books()) {
    BookAlloc(StreamDevice(stream, RuntimeCurrentDevice), Types().device_memory, AddressOf(*pointer), size);
  } else if (result == cudaErrorMemoryAllocation && call.books()) {
    BookFailure(StreamDevice(stream, RuntimeCurrentDevice), Types().device_memory, size);
  }
  return result;
}

cudaError_t FreeAsync(EntryPoint entry, void* pointer, cudaStream_t stream) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaFreeAsync)>(entry);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  return FreeAndBook(call, AddressOf(pointer), cudaSuccess, [&] { return real(pointer, stream); });
}

}  // namespace

extern "C" {

cudaError_t CUDARTAPI cudaMalloc(void** devPtr, size_t size) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaMalloc)>(EntryPoint::kCudaMalloc);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  const cudaError_t result = real(devPtr, size);
  if (result == cudaSuccess && call.books()) {
    BookAlloc(RuntimeCurrentDevice(), Types().device_memory, AddressOf(*devPtr), size);
  } else if (result == cudaErrorMemoryAllocation && call.books()) {
    BookFailure(RuntimeCurrentDevice(), Types().device_memory, size);
  }
  return result;
}

cudaError_t CUDARTAPI cudaMallocPitch(void** devPtr, size_t* pitch, size_t width, size_t height) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaMallocPitch)>(EntryPoint::kCudaMallocPitch);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  const cudaError_t result = real(devPtr, pitch, width, height);
  if (result == cudaSuccess && call.books()) {
    BookAlloc(RuntimeCurrentDevice(), Types().device_memory, AddressOf(*devPtr), *pitch * height);
  } else if (result == cudaErrorMemoryAllocation && call.books()) {
    BookFailure(RuntimeCurrentDevice(), Types().device_memory, width * height);  // no pitch was given
  }
  return result;
}

cudaError_t CUDARTAPI cudaMallocManaged(void** devPtr, size_t size, unsigned int flags) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaMallocManaged)>(EntryPoint::kCudaMallocManaged);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  const cudaError_t result = real(devPtr, size, flags);
  if (result == cudaSuccess && call.books()) {
    BookAlloc(RuntimeCurrentDevice(), Types().managed, AddressOf(*devPtr), size);
  } else if (result == cudaErrorMemoryAllocation && call.books()) {
    BookFailure(RuntimeCurrentDevice(), Types().managed, size);
  }
  return result;
}

cudaError_t CUDARTAPI cudaFree(void* devPtr) {
  TrackedCall call;
  const auto real = Real<decltype(&cudaFree)>(EntryPoint::kCudaFree);
  if (real == nullptr) return cudaErrorSharedObjectSymbolNotFound;
  return FreeAndBook(call, AddressOf(devPtr), cudaSuccess, [&] { return real(devPtr); });
}

cudaError_t CUDARTAPI cudaMallocAsync(void** devPtr, size_t size, cudaStream_t hStream) {
  return MallocAsync(EntryPoint::kCudaMallocAsync, devPtr, size, hStream);
}

cudaError_t CUDARTAPI cudaMallocAsync_ptsz(void** devPtr, size_t size, cudaStream_t hStream) {
  return MallocAsync(EntryPoint::kCudaMallocAsyncPtsz, devPtr, size, hStream);
}

cudaError_t CUDARTAPI cudaFreeAsync(void* devPtr, cudaStream_t hStream) {
  return FreeAsync(EntryPoint::kCudaFreeAsync, devPtr, hStream);
}

cudaError_t CUDARTAPI cudaFreeAsync_ptsz(void* devPtr, cudaStream_t hStream) {
  return FreeAsync(EntryPoint::kCudaFreeAsyncPtsz, devPtr, hStream);
}

}  // extern "C"
