// entry_points.h — every function of the real CUDA libraries the interposer
// calls: the ones it wraps (a function of the same name in this library) and
// the few it asks about devices. Owns where each real function comes from,
// tried in this order:
//   1. adopted from a lookup the interposer answered with its wrapper:
//      dlsym(handle, name) on a dlopen'd library (dlsym_hook.cc) or
//      cuGetProcAddress (proc_address.cc). This is how cudart, static or
//      shared, reaches the driver: it dlopens libcuda.so.1 (RTLD_LOCAL, out
//      of LD_PRELOAD's sight) and asks it for cuGetProcAddress_v2;
//   2. dlsym(RTLD_NEXT, name): the library is in the global scope (a program
//      linked with -lcudart or -lcuda);
//   3. the first loaded object named libcudart.so* (runtime) or libcuda.so*
//      (driver): a library loaded RTLD_LOCAL whose dependents still bind to
//      this library first, e.g. a Python extension linked with libcudart.
// The first found is kept for the life of the process (one CAS from null).
// A later lookup of a driver function that finds another address is still
// answered with the wrapper (one driver per process; cuGetProcAddress may
// hand out internal entry points); a runtime function at another address
// may belong to a second runtime (libcudart.so.11.0 beside .12) and is
// handed out as found, untracked.
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memledger::cuda {

enum class EntryPoint : std::uint8_t {
  // The runtime (libcudart), wrapped.
  kCudaMalloc,
  kCudaFree,
  kCudaMallocAsync,
  kCudaMallocAsyncPtsz,
  kCudaFreeAsync,
  kCudaFreeAsyncPtsz,
  kCudaMallocManaged,
  kCudaMallocPitch,
  // The driver (libcuda), wrapped.
  kCuMemAlloc,
  kCuMemFree,
  kCuMemAllocPitch,
  kCuMemAllocManaged,
  kCuMemAllocAsync,
  kCuMemAllocAsyncPtsz,
  kCuMemFreeAsync,
  kCuMemFreeAsyncPtsz,
  kCuMemCreate,
  kCuMemRelease,
  kCuMemRetainAllocationHandle,
  kCuMemMap,
  kCuMemUnmap,
  kCuGetProcAddressV11030,
  kCuGetProcAddressV12000,
  // Asked, not wrapped.
  kCudaGetDevice,
  kCuCtxGetDevice,
  kCuDeviceGetName,
  kCuDeviceTotalMem,
  kCuStreamGetDevice,
  kCuDeviceGetUuidV2,  // drivers from CUDA 11.4: a MIG instance's own UUID in MIG mode
  kCuDeviceGetUuid,    // older drivers
};
inline constexpr std::size_t kEntryPointCount = static_cast<std::size_t>(EntryPoint::kCuDeviceGetUuid) + 1;
inline constexpr std::size_t kWrappedEntryPointCount = static_cast<std::size_t>(EntryPoint::kCudaGetDevice);

// The exported name of each entry point, by EntryPoint value ("cuMemAlloc_v2").
extern const char* const kEntryPointNames[kEntryPointCount];

// This library's function of that name; nullptr for the ones only asked.
void* WrapperOf(EntryPoint entry);

// `found` is what a lookup of `entry` in a real library returned. Returns
// what to hand the caller: this library's wrapper when `found` is (or now
// becomes) the real function behind it, else `found` itself.
void* AdoptReal(EntryPoint entry, void* found);

// The real function, found as above on first use; nullptr when none is loaded.
void* RealAddress(EntryPoint entry);

template <typename Function>
Function Real(EntryPoint entry) {
  return reinterpret_cast<Function>(RealAddress(entry));
}

}  // namespace memledger::cuda
