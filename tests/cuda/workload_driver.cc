// workload_driver.cc — see workload_driver.h.
#include "workload_driver.h"

#include <dlfcn.h>

#include <cstdio>
#include <thread>

#include "stub_counts.h"
#include "workload_failures.h"

namespace {

constexpr size_t kGranularity = 2ull << 20;

template <typename Function>
bool Find(void* get_proc_address, ProcAddressRoute route, const char* symbol, Function* function) {
  void* found = nullptr;
  CUresult result;
  if (route == ProcAddressRoute::kV1) {
    const auto get_proc_address_v1 = reinterpret_cast<PFN_cuGetProcAddress_v11030>(get_proc_address);
    result = get_proc_address_v1(symbol, &found, 11080, CU_GET_PROC_ADDRESS_DEFAULT);
  } else {
    const cuuint64_t flags = route == ProcAddressRoute::kV2PerThreadStream
                                 ? CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM
                                 : CU_GET_PROC_ADDRESS_DEFAULT;
    CUdriverProcAddressQueryResult status;
    const auto get_proc_address_v2 = reinterpret_cast<PFN_cuGetProcAddress_v12000>(get_proc_address);
    result = get_proc_address_v2(symbol, &found, CUDA_VERSION, flags, &status);
  }
  if (result != CUDA_SUCCESS || found == nullptr) {
    std::fprintf(stderr, "workload: cuGetProcAddress has no %s\n", symbol);
    return false;
  }
  *function = reinterpret_cast<Function>(found);
  return true;
}

// One physical allocation through its life: three orders of the calls that end it.
void VmmCycle(const DriverApi& api, int device, int variant, WorkloadFailures& f, int thread, int i) {
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = device;
  const size_t size = kGranularity * static_cast<size_t>(1 + variant);
  CUmemGenericAllocationHandle handle = 0;
  f.Expect(api.mem_create(&handle, size, &prop, 0) == CUDA_SUCCESS, "cuMemCreate", thread, i);
  CUdeviceptr va = 0;
  f.Expect(api.address_reserve(&va, 2 * size, 0, 0, 0) == CUDA_SUCCESS, "cuMemAddressReserve", thread, i);
  f.Expect(api.mem_map(va, size, 0, handle, 0) == CUDA_SUCCESS, "cuMemMap", thread, i);
  switch (variant) {
    case 0:  // unmap, then release
      f.Expect(api.mem_unmap(va, size) == CUDA_SUCCESS, "cuMemUnmap", thread, i);
      f.Expect(api.mem_release(handle) == CUDA_SUCCESS, "cuMemRelease", thread, i);
      break;
    case 1:  // release at once; the memory lives until the unmap
      f.Expect(api.mem_release(handle) == CUDA_SUCCESS, "cuMemRelease", thread, i);
      f.Expect(api.mem_unmap(va, size) == CUDA_SUCCESS, "cuMemUnmap", thread, i);
      break;
    default: {  // mapped twice, a handle retained from an address; one unmap for both mappings
      f.Expect(api.mem_map(va + size, size, 0, handle, 0) == CUDA_SUCCESS, "cuMemMap (second)", thread, i);
      CUmemGenericAllocationHandle retained = 0;
      f.Expect(api.retain_allocation_handle(&retained, reinterpret_cast<void*>(va + size + 4096)) == CUDA_SUCCESS,
               "cuMemRetainAllocationHandle", thread, i);
      f.Expect(api.mem_release(handle) == CUDA_SUCCESS, "cuMemRelease", thread, i);
      f.Expect(api.mem_release(retained) == CUDA_SUCCESS, "cuMemRelease (retained)", thread, i);
      f.Expect(api.mem_unmap(va, 2 * size) == CUDA_SUCCESS, "cuMemUnmap (both)", thread, i);
      break;
    }
  }
  f.Expect(api.address_free(va, 2 * size) == CUDA_SUCCESS, "cuMemAddressFree", thread, i);
}

// Left live on purpose: the ledger must report each as a leak, on the right device and type.
void Leak(const DriverApi& api, int device, CUstream other_stream, WorkloadFailures& f, int thread) {
  CUdeviceptr p = 0;
  f.Expect(api.mem_alloc(&p, 1 << 20) == CUDA_SUCCESS, "leak: cuMemAlloc", thread, -1);
  f.Expect(api.mem_alloc_managed(&p, 64 << 10, CU_MEM_ATTACH_GLOBAL) == CUDA_SUCCESS, "leak: cuMemAllocManaged",
           thread, -1);
  f.Expect(api.mem_alloc_async(&p, 128 << 10, other_stream) == CUDA_SUCCESS, "leak: cuMemAllocAsync", thread, -1);

  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = device;
  CUmemGenericAllocationHandle mapped = 0, released = 0, unmapped = 0, host = 0;
  CUdeviceptr va = 0;
  f.Expect(api.address_reserve(&va, 2 * kGranularity, 0, 0, 0) == CUDA_SUCCESS, "leak: reserve", thread, -1);
  f.Expect(api.mem_create(&mapped, kGranularity, &prop, 0) == CUDA_SUCCESS, "leak: cuMemCreate", thread, -1);
  f.Expect(api.mem_map(va, kGranularity, 0, mapped, 0) == CUDA_SUCCESS, "leak: cuMemMap", thread, -1);
  f.Expect(api.mem_create(&released, kGranularity, &prop, 0) == CUDA_SUCCESS, "leak: cuMemCreate", thread, -1);
  f.Expect(api.mem_map(va + kGranularity, kGranularity, 0, released, 0) == CUDA_SUCCESS, "leak: cuMemMap", thread, -1);
  f.Expect(api.mem_release(released) == CUDA_SUCCESS, "leak: cuMemRelease (still mapped)", thread, -1);
  f.Expect(api.mem_create(&unmapped, 2 * kGranularity, &prop, 0) == CUDA_SUCCESS, "leak: cuMemCreate", thread, -1);
  // Physical memory on the host is not device memory: neither the stub nor the ledger counts it.
  prop.location.type = CU_MEM_LOCATION_TYPE_HOST;
  prop.location.id = 0;
  f.Expect(api.mem_create(&host, kGranularity, &prop, 0) == CUDA_SUCCESS, "leak: cuMemCreate (host)", thread, -1);
}

}  // namespace

bool DriverThroughProcAddress(void* libcuda, ProcAddressRoute route, DriverApi* api) {
  void* get_proc_address = dlsym(libcuda, route == ProcAddressRoute::kV1 ? "cuGetProcAddress" : "cuGetProcAddress_v2");
  if (get_proc_address == nullptr) return false;
  return Find(get_proc_address, route, "cuDevicePrimaryCtxRetain", &api->primary_ctx_retain) &&
         Find(get_proc_address, route, "cuCtxSetCurrent", &api->ctx_set_current) &&
         Find(get_proc_address, route, "cuStreamCreate", &api->stream_create) &&
         Find(get_proc_address, route, "cuMemAlloc", &api->mem_alloc) &&
         Find(get_proc_address, route, "cuMemAllocPitch", &api->mem_alloc_pitch) &&
         Find(get_proc_address, route, "cuMemAllocManaged", &api->mem_alloc_managed) &&
         Find(get_proc_address, route, "cuMemFree", &api->mem_free) &&
         Find(get_proc_address, route, "cuMemAllocAsync", &api->mem_alloc_async) &&
         Find(get_proc_address, route, "cuMemFreeAsync", &api->mem_free_async) &&
         Find(get_proc_address, route, "cuMemAddressReserve", &api->address_reserve) &&
         Find(get_proc_address, route, "cuMemAddressFree", &api->address_free) &&
         Find(get_proc_address, route, "cuMemCreate", &api->mem_create) &&
         Find(get_proc_address, route, "cuMemRelease", &api->mem_release) &&
         Find(get_proc_address, route, "cuMemRetainAllocationHandle", &api->retain_allocation_handle) &&
         Find(get_proc_address, route, "cuMemMap", &api->mem_map) &&
         Find(get_proc_address, route, "cuMemUnmap", &api->mem_unmap);
}

int RunDriverCalls(const DriverApi& api, int thread, int device, int other_device, int iterations, bool leak) {
  WorkloadFailures f;
  CUcontext own = nullptr, other = nullptr;
  f.Expect(api.primary_ctx_retain(&own, device) == CUDA_SUCCESS, "cuDevicePrimaryCtxRetain", thread, -1);
  f.Expect(api.primary_ctx_retain(&other, other_device) == CUDA_SUCCESS, "cuDevicePrimaryCtxRetain", thread, -1);
  CUstream own_stream = nullptr, other_stream = nullptr;
  f.Expect(api.ctx_set_current(other) == CUDA_SUCCESS, "cuCtxSetCurrent", thread, -1);
  f.Expect(api.stream_create(&other_stream, 0) == CUDA_SUCCESS, "cuStreamCreate", thread, -1);
  f.Expect(api.ctx_set_current(own) == CUDA_SUCCESS, "cuCtxSetCurrent", thread, -1);
  f.Expect(api.stream_create(&own_stream, 0) == CUDA_SUCCESS, "cuStreamCreate", thread, -1);

  for (int i = 0; i < iterations; ++i) {
    const size_t size = 256 * static_cast<size_t>(1 + (i * 7 + thread * 3) % 24);
    CUdeviceptr a = 0, b = 0;
    switch (i % 7) {
      case 0:
        f.Expect(api.mem_alloc(&a, size) == CUDA_SUCCESS, "cuMemAlloc_v2", thread, i);
        f.Expect(api.mem_alloc(&b, 2 * size) == CUDA_SUCCESS, "cuMemAlloc_v2", thread, i);
        f.Expect(api.mem_free(b) == CUDA_SUCCESS, "cuMemFree_v2", thread, i);
        f.Expect(api.mem_free(a) == CUDA_SUCCESS, "cuMemFree_v2", thread, i);
        break;
      case 1: {
        size_t pitch = 0;
        f.Expect(api.mem_alloc_pitch(&a, &pitch, size, 3, 4) == CUDA_SUCCESS, "cuMemAllocPitch_v2", thread, i);
        f.Expect(api.mem_free(a) == CUDA_SUCCESS, "cuMemFree_v2 (pitched)", thread, i);
        break;
      }
      case 2:
        f.Expect(api.mem_alloc_managed(&a, size, CU_MEM_ATTACH_GLOBAL) == CUDA_SUCCESS, "cuMemAllocManaged", thread, i);
        f.Expect(api.mem_free(a) == CUDA_SUCCESS, "cuMemFree_v2 (managed)", thread, i);
        break;
      case 3:
        f.Expect(api.mem_alloc_async(&a, size, own_stream) == CUDA_SUCCESS, "cuMemAllocAsync", thread, i);
        f.Expect(api.mem_free_async(a, own_stream) == CUDA_SUCCESS, "cuMemFreeAsync", thread, i);
        break;
      case 4:  // on the other device's stream: the memory is that device's
        f.Expect(api.mem_alloc_async(&a, size, other_stream) == CUDA_SUCCESS, "cuMemAllocAsync (other)", thread, i);
        f.Expect(api.mem_free_async(a, other_stream) == CUDA_SUCCESS, "cuMemFreeAsync (other)", thread, i);
        break;
      case 5:  // freed while the other device is current
        f.Expect(api.mem_alloc(&a, size) == CUDA_SUCCESS, "cuMemAlloc_v2", thread, i);
        f.Expect(api.ctx_set_current(other) == CUDA_SUCCESS, "cuCtxSetCurrent", thread, i);
        f.Expect(api.mem_free(a) == CUDA_SUCCESS, "cuMemFree_v2 (other device current)", thread, i);
        f.Expect(api.ctx_set_current(own) == CUDA_SUCCESS, "cuCtxSetCurrent", thread, i);
        break;
      default:
        VmmCycle(api, device, (i / 7) % 3, f, thread, i);
        break;
    }
  }

  // Out of memory through each call (more than a stub device has): a failure
  // booked on the device the allocation would have been on.
  CUdeviceptr p = 0;
  size_t pitch = 0;
  constexpr size_t kTooBig = size_t{1} << 40;
  f.Expect(api.mem_alloc(&p, kTooBig) == CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc_v2 (too big)", thread, -1);
  f.Expect(api.mem_alloc_pitch(&p, &pitch, size_t{1} << 30, size_t{1} << 12, 4) == CUDA_ERROR_OUT_OF_MEMORY,
           "cuMemAllocPitch_v2 (too big)", thread, -1);
  f.Expect(api.mem_alloc_managed(&p, kTooBig, CU_MEM_ATTACH_GLOBAL) == CUDA_ERROR_OUT_OF_MEMORY,
           "cuMemAllocManaged (too big)", thread, -1);
  f.Expect(api.mem_alloc_async(&p, kTooBig, other_stream) == CUDA_ERROR_OUT_OF_MEMORY,
           "cuMemAllocAsync (too big, the other device's stream)", thread, -1);
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = device;
  CUmemGenericAllocationHandle handle = 0;
  f.Expect(api.mem_create(&handle, kTooBig, &prop, 0) == CUDA_ERROR_OUT_OF_MEMORY, "cuMemCreate (too big)", thread,
           -1);

  // Calls that fail otherwise book nothing.
  f.Expect(api.mem_free(0xdead0000) == CUDA_ERROR_INVALID_VALUE, "cuMemFree_v2 (never allocated)", thread, -1);
  f.Expect(api.mem_release(0xfffffff) == CUDA_ERROR_INVALID_VALUE, "cuMemRelease (no such handle)", thread, -1);

  if (leak) Leak(api, device, other_stream, f, thread);
  return f.count;
}

int HandleReusedBeforeItsReleaseReturns(const DriverApi& api, void* libcuda, bool leak) {
  const auto hold = reinterpret_cast<StubHoldReleaseFunction>(dlsym(libcuda, "memledger_stub_hold_release"));
  const auto wait_held = reinterpret_cast<StubWaitReleaseHeldFunction>(dlsym(libcuda, "memledger_stub_wait_release_held"));
  const auto go = reinterpret_cast<StubReleaseGoFunction>(dlsym(libcuda, "memledger_stub_release_go"));
  if (hold == nullptr || wait_held == nullptr || go == nullptr) {
    std::fprintf(stderr, "workload: libcuda.so.1 is not the stub (no memledger_stub_hold_release)\n");
    return 1;
  }
  WorkloadFailures f;
  constexpr int kThread = -1;  // the main thread's calls, in the failures it prints
  CUmemAllocationProp prop{};
  prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
  prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
  prop.location.id = 1;
  CUmemGenericAllocationHandle first = 0, second = 0;
  f.Expect(api.mem_create(&first, kGranularity, &prop, 0) == CUDA_SUCCESS, "reuse: cuMemCreate", kThread, -1);
  hold(first);
  bool released = false;
  std::thread releaser([&] { released = api.mem_release(first) == CUDA_SUCCESS; });
  wait_held();  // the value is free; the release has not returned
  f.Expect(api.mem_create(&second, kGranularity, &prop, 0) == CUDA_SUCCESS, "reuse: cuMemCreate (while held)",
           kThread, -1);
  f.Expect(second == first, "reuse: the stub handed the released value out again", kThread, -1);
  go();
  releaser.join();
  f.Expect(released, "reuse: cuMemRelease (held)", kThread, -1);
  if (!leak) f.Expect(api.mem_release(second) == CUDA_SUCCESS, "reuse: cuMemRelease", kThread, -1);
  return f.count;
}
