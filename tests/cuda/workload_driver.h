// workload_driver.h — the driver half of the test workload: one thread's
// allocations and frees through every driver call the interposer wraps,
// through a table of functions the caller fills by name (-lcuda: LD_PRELOAD
// sees them) or through cuGetProcAddress (as cudart reaches the driver).
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>

struct DriverApi {
  PFN_cuDevicePrimaryCtxRetain_v7000 primary_ctx_retain;
  PFN_cuCtxSetCurrent_v4000 ctx_set_current;
  PFN_cuStreamCreate_v2000 stream_create;
  PFN_cuMemAlloc_v3020 mem_alloc;
  PFN_cuMemAllocPitch_v3020 mem_alloc_pitch;
  PFN_cuMemAllocManaged_v6000 mem_alloc_managed;
  PFN_cuMemFree_v3020 mem_free;
  PFN_cuMemAllocAsync_v11020 mem_alloc_async;  // or the _ptsz variant: the same signature
  PFN_cuMemFreeAsync_v11020 mem_free_async;
  PFN_cuMemAddressReserve_v10020 address_reserve;
  PFN_cuMemAddressFree_v10020 address_free;
  PFN_cuMemCreate_v10020 mem_create;
  PFN_cuMemRelease_v10020 mem_release;
  PFN_cuMemRetainAllocationHandle_v11000 retain_allocation_handle;
  PFN_cuMemMap_v10020 mem_map;
  PFN_cuMemUnmap_v10020 mem_unmap;
};

// How a thread asks cuGetProcAddress (from dlsym(libcuda, ...)) for the table.
enum class ProcAddressRoute { kV2LegacyStream, kV2PerThreadStream, kV1 };

// Fills `api` through cuGetProcAddress of the dlopen'd `libcuda`; false when a function is missing.
bool DriverThroughProcAddress(void* libcuda, ProcAddressRoute route, DriverApi* api);

// One thread's driver calls on `device` (and the other device's stream and
// context), `iterations` times; then runs out of memory once through each
// allocating call; leaves the documented leaks when `leak`.
// Returns how many calls did not do what the driver promises.
int RunDriverCalls(const DriverApi& api, int thread, int device, int other_device, int iterations, bool leak);

// One thread's cuMemRelease gives a handle value back and, before it returns
// (the stub driver holds it: stub_counts.h), another thread's cuMemCreate
// gets the same value; that allocation is left live when `leak` (a leak on
// device 1), else released. The books must not take the release for the
// new allocation's. Run alone (no other thread calling the driver).
int HandleReusedBeforeItsReleaseReturns(const DriverApi& api, void* libcuda, bool leak);
