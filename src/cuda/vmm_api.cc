// vmm_api.cc — the driver's virtual memory management calls: cuMemCreate,
// cuMemRelease, cuMemRetainAllocationHandle, cuMemMap, cuMemUnmap. A
// physical allocation on a device is one VMM_PHYSICAL buffer from
// cuMemCreate until its last handle and mapping are gone; mappings count no
// bytes (vmm_table.h). Reached as the other driver calls are (driver_api.cc).
// Calls that give a handle or mapping back are booked before the real call,
// the others after it (vmm_table.h, "Order"); a cuMemCreate on a device that
// returns CUDA_ERROR_OUT_OF_MEMORY is booked as a failed VMM_PHYSICAL
// allocation there (books.h).
//
// Thread-safety: any thread, as the real functions.
#include <cstdint>

#include "cuda/books.h"
#include "cuda/cuda_variants.h"
#include "cuda/device_registry.h"
#include "cuda/entry_points.h"
#include "cuda/tracked_call.h"

using namespace memledger::cuda;

namespace {

bool OnDevice(const CUmemAllocationProp* prop) {
  return prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE && prop->location.id >= 0;
}

}  // namespace

extern "C" {

CUresult CUDAAPI cuMemCreate(CUmemGenericAllocationHandle* handle, size_t size, const CUmemAllocationProp* prop,
                             unsigned long long flags) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemCreate)>(EntryPoint::kCuMemCreate);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(handle, size, prop, flags);
  // Memory on the host (CU_MEM_LOCATION_TYPE_HOST*) is not device memory: not booked, nor its failures.
  if (result == CUDA_SUCCESS && call.books() && OnDevice(prop)) {
    BookPhysicalCreate(*handle, static_cast<std::uint32_t>(prop->location.id), size);
  } else if (result == CUDA_ERROR_OUT_OF_MEMORY && call.books() && OnDevice(prop)) {
    BookFailure(static_cast<std::uint32_t>(prop->location.id), Types().vmm_physical, size);
  }
  return result;
}

CUresult CUDAAPI cuMemRelease(CUmemGenericAllocationHandle handle) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemRelease)>(EntryPoint::kCuMemRelease);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  // Booked before the real release: once it has returned, the driver may give
  // the same handle value to a cuMemCreate on another thread (vmm_table.h, "Order").
  return GiveBackAndBook(
      call, CUDA_SUCCESS, [&] { return BookPhysicalRelease(handle); }, [&] { return real(handle); });
}

CUresult CUDAAPI cuMemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemRetainAllocationHandle)>(EntryPoint::kCuMemRetainAllocationHandle);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(handle, addr);
  if (result == CUDA_SUCCESS && call.books()) BookPhysicalRetain(*handle, reinterpret_cast<std::uintptr_t>(addr));
  return result;
}

CUresult CUDAAPI cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                          unsigned long long flags) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemMap)>(EntryPoint::kCuMemMap);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  const CUresult result = real(ptr, size, offset, handle, flags);
  if (result == CUDA_SUCCESS && call.books()) BookMap(ptr, size, handle);
  return result;
}

CUresult CUDAAPI cuMemUnmap(CUdeviceptr ptr, size_t size) {
  TrackedCall call;
  const auto real = Real<decltype(&cuMemUnmap)>(EntryPoint::kCuMemUnmap);
  if (real == nullptr) return CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND;
  // Booked before the real unmap: once it has returned, the address may be mapped again on another thread.
  return GiveBackAndBook(
      call, CUDA_SUCCESS, [&] { return BookUnmap(ptr, size); }, [&] { return real(ptr, size); });
}

}  // extern "C"
