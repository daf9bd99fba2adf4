// stub_runtime.cc — a stub CUDA runtime, built as libcudart.so.<major> for
// the tests. It reaches the driver the way cudart does: dlopen("libcuda.so.1",
// RTLD_LOCAL), dlsym(handle, "cuGetProcAddress_v2"), then cuGetProcAddress
// for every driver function; so cudaMalloc calls cuMemAlloc_v2 (through the
// interposer's wrapper, when it runs under one: the case of one allocation
// seen twice). It counts nothing itself: the driver's books are the truth.
// Like cudart, it keeps each thread's last error (the last call that
// failed), which cudaGetLastError returns and resets and cudaPeekAtLastError
// returns: a failed allocation must leave it the same under the interposer.
//
// Thread-safety: thread-safe; the driver's functions are looked up once; the
// last error is per thread.
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "cuda/cuda_variants.h"

namespace {

struct Driver {
  PFN_cuDevicePrimaryCtxRetain_v7000 primary_ctx_retain;
  PFN_cuCtxSetCurrent_v4000 ctx_set_current;
  PFN_cuCtxGetDevice_v2000 ctx_get_device;
  PFN_cuStreamCreate_v2000 stream_create;
  PFN_cuMemAlloc_v3020 mem_alloc;
  PFN_cuMemAllocPitch_v3020 mem_alloc_pitch;
  PFN_cuMemAllocManaged_v6000 mem_alloc_managed;
  PFN_cuMemFree_v3020 mem_free;
  PFN_cuMemAllocAsync_v11020 mem_alloc_async;
  PFN_cuMemAllocAsync_v11020_ptsz mem_alloc_async_ptsz;
  PFN_cuMemFreeAsync_v11020 mem_free_async;
  PFN_cuMemFreeAsync_v11020_ptsz mem_free_async_ptsz;
};

template <typename Function>
void Look(PFN_cuGetProcAddress_v12000 get_proc_address, const char* symbol, int version, cuuint64_t flags,
          Function* function) {
  void* found = nullptr;
  if (get_proc_address(symbol, &found, version, flags, nullptr) != CUDA_SUCCESS || found == nullptr) {
    std::fprintf(stderr, "stub cudart: the driver has no %s\n", symbol);
    std::abort();
  }
  *function = reinterpret_cast<Function>(found);
}

Driver LoadDriver() {
  void* libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (libcuda == nullptr) {
    std::fprintf(stderr, "stub cudart: %s\n", dlerror());
    std::abort();
  }
  auto get_proc_address = reinterpret_cast<PFN_cuGetProcAddress_v12000>(dlsym(libcuda, "cuGetProcAddress_v2"));
  if (get_proc_address == nullptr) {
    std::fprintf(stderr, "stub cudart: libcuda.so.1 has no cuGetProcAddress_v2\n");
    std::abort();
  }
  constexpr cuuint64_t kLegacy = CU_GET_PROC_ADDRESS_DEFAULT;
  constexpr cuuint64_t kPerThread = CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
  Driver d{};
  Look(get_proc_address, "cuDevicePrimaryCtxRetain", CUDART_VERSION, kLegacy, &d.primary_ctx_retain);
  Look(get_proc_address, "cuCtxSetCurrent", CUDART_VERSION, kLegacy, &d.ctx_set_current);
  Look(get_proc_address, "cuCtxGetDevice", CUDART_VERSION, kLegacy, &d.ctx_get_device);
  Look(get_proc_address, "cuStreamCreate", CUDART_VERSION, kLegacy, &d.stream_create);
  Look(get_proc_address, "cuMemAlloc", CUDART_VERSION, kLegacy, &d.mem_alloc);
  Look(get_proc_address, "cuMemAllocPitch", CUDART_VERSION, kLegacy, &d.mem_alloc_pitch);
  Look(get_proc_address, "cuMemAllocManaged", CUDART_VERSION, kLegacy, &d.mem_alloc_managed);
  Look(get_proc_address, "cuMemFree", CUDART_VERSION, kLegacy, &d.mem_free);
  Look(get_proc_address, "cuMemAllocAsync", CUDART_VERSION, kLegacy, &d.mem_alloc_async);
  Look(get_proc_address, "cuMemAllocAsync", CUDART_VERSION, kPerThread, &d.mem_alloc_async_ptsz);
  Look(get_proc_address, "cuMemFreeAsync", CUDART_VERSION, kLegacy, &d.mem_free_async);
  Look(get_proc_address, "cuMemFreeAsync", CUDART_VERSION, kPerThread, &d.mem_free_async_ptsz);
  return d;
}

const Driver& TheDriver() {
  static const Driver driver = LoadDriver();
  return driver;
}

thread_local cudaError_t tls_last_error = cudaSuccess;

// What a runtime call returns: `error`, kept as the thread's last error unless it is success.
cudaError_t Returned(cudaError_t error) {
  if (error != cudaSuccess) tls_last_error = error;
  return error;
}

cudaError_t ToRuntimeError(CUresult result) {
  switch (result) {
    case CUDA_SUCCESS: return cudaSuccess;
    case CUDA_ERROR_OUT_OF_MEMORY: return Returned(cudaErrorMemoryAllocation);
    case CUDA_ERROR_INVALID_DEVICE: return Returned(cudaErrorInvalidDevice);
    default: return Returned(cudaErrorInvalidValue);
  }
}

CUdeviceptr* AsDevicePointer(void** pointer) { return reinterpret_cast<CUdeviceptr*>(pointer); }
CUdeviceptr DevicePointer(void* pointer) { return reinterpret_cast<CUdeviceptr>(pointer); }

}  // namespace

extern "C" {

cudaError_t CUDARTAPI cudaSetDevice(int device) {
  CUcontext context = nullptr;
  const CUresult result = TheDriver().primary_ctx_retain(&context, device);
  if (result != CUDA_SUCCESS) return ToRuntimeError(result);
  return ToRuntimeError(TheDriver().ctx_set_current(context));
}

cudaError_t CUDARTAPI cudaGetLastError() {
  const cudaError_t error = tls_last_error;
  tls_last_error = cudaSuccess;
  return error;
}

cudaError_t CUDARTAPI cudaPeekAtLastError() { return tls_last_error; }

cudaError_t CUDARTAPI cudaGetDevice(int* device) { return ToRuntimeError(TheDriver().ctx_get_device(device)); }

cudaError_t CUDARTAPI cudaStreamCreate(cudaStream_t* stream) {
  return ToRuntimeError(TheDriver().stream_create(stream, 0));
}

cudaError_t CUDARTAPI cudaMalloc(void** devPtr, size_t size) {
  if (devPtr == nullptr) return Returned(cudaErrorInvalidValue);
  if (size == 0) {
    *devPtr = nullptr;
    return cudaSuccess;
  }
  return ToRuntimeError(TheDriver().mem_alloc(AsDevicePointer(devPtr), size));
}

cudaError_t CUDARTAPI cudaMallocPitch(void** devPtr, size_t* pitch, size_t width, size_t height) {
  return ToRuntimeError(TheDriver().mem_alloc_pitch(AsDevicePointer(devPtr), pitch, width, height, 4));
}

cudaError_t CUDARTAPI cudaMallocManaged(void** devPtr, size_t size, unsigned int flags) {
  return ToRuntimeError(TheDriver().mem_alloc_managed(AsDevicePointer(devPtr), size, flags));
}

cudaError_t CUDARTAPI cudaFree(void* devPtr) {
  if (devPtr == nullptr) return cudaSuccess;
  return ToRuntimeError(TheDriver().mem_free(DevicePointer(devPtr)));
}

cudaError_t CUDARTAPI cudaMallocAsync(void** devPtr, size_t size, cudaStream_t hStream) {
  return ToRuntimeError(TheDriver().mem_alloc_async(AsDevicePointer(devPtr), size, hStream));
}

cudaError_t CUDARTAPI cudaMallocAsync_ptsz(void** devPtr, size_t size, cudaStream_t hStream) {
  return ToRuntimeError(TheDriver().mem_alloc_async_ptsz(AsDevicePointer(devPtr), size, hStream));
}

cudaError_t CUDARTAPI cudaFreeAsync(void* devPtr, cudaStream_t hStream) {
  return ToRuntimeError(TheDriver().mem_free_async(DevicePointer(devPtr), hStream));
}

cudaError_t CUDARTAPI cudaFreeAsync_ptsz(void* devPtr, cudaStream_t hStream) {
  return ToRuntimeError(TheDriver().mem_free_async_ptsz(DevicePointer(devPtr), hStream));
}

}  // extern "C"
