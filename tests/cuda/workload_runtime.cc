// workload_runtime.cc — the runtime half of the test workload, built as a
// shared library linked with the stub libcudart (as a framework's CUDA
// extension is): one thread's allocations and frees through every runtime
// call the interposer wraps, and one failure of each for want of memory. The program links it (libcudart in the global
// scope) or dlopens it RTLD_LOCAL (libcudart out of LD_PRELOAD's lookups,
// as in a Python process).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "cuda/cuda_variants.h"
#include "workload_failures.h"

// Returns how many calls did not do what the runtime promises.
extern "C" __attribute__((visibility("default"))) int RunRuntimeCalls(int thread, int device, int other_device,
                                                                     int iterations, bool leak) {
  WorkloadFailures f;
  f.Expect(cudaSetDevice(device) == cudaSuccess, "cudaSetDevice", thread, -1);
  cudaStream_t stream = nullptr;
  f.Expect(cudaStreamCreate(&stream) == cudaSuccess, "cudaStreamCreate", thread, -1);

  for (int i = 0; i < iterations; ++i) {
    const size_t size = 512 * static_cast<size_t>(1 + (i * 5 + thread) % 20);
    void* a = nullptr;
    void* b = nullptr;
    switch (i % 6) {
      case 0:
        f.Expect(cudaMalloc(&a, size) == cudaSuccess, "cudaMalloc", thread, i);
        f.Expect(cudaMalloc(&b, 3 * size) == cudaSuccess, "cudaMalloc", thread, i);
        f.Expect(cudaFree(b) == cudaSuccess, "cudaFree", thread, i);
        f.Expect(cudaFree(a) == cudaSuccess, "cudaFree", thread, i);
        break;
      case 1: {
        size_t pitch = 0;
        f.Expect(cudaMallocPitch(&a, &pitch, size, 4) == cudaSuccess, "cudaMallocPitch", thread, i);
        f.Expect(cudaFree(a) == cudaSuccess, "cudaFree (pitched)", thread, i);
        break;
      }
      case 2:
        f.Expect(cudaMallocManaged(&a, size, cudaMemAttachGlobal) == cudaSuccess, "cudaMallocManaged", thread, i);
        f.Expect(cudaFree(a) == cudaSuccess, "cudaFree (managed)", thread, i);
        break;
      case 3:
        f.Expect(cudaMallocAsync(&a, size, stream) == cudaSuccess, "cudaMallocAsync", thread, i);
        f.Expect(cudaFreeAsync(a, stream) == cudaSuccess, "cudaFreeAsync", thread, i);
        break;
      case 4:
        f.Expect(cudaMallocAsync_ptsz(&a, size, cudaStreamPerThread) == cudaSuccess, "cudaMallocAsync_ptsz", thread, i);
        f.Expect(cudaFreeAsync_ptsz(a, cudaStreamPerThread) == cudaSuccess, "cudaFreeAsync_ptsz", thread, i);
        break;
      default:  // freed while the other device is current
        f.Expect(cudaMalloc(&a, size) == cudaSuccess, "cudaMalloc", thread, i);
        f.Expect(cudaSetDevice(other_device) == cudaSuccess, "cudaSetDevice", thread, i);
        f.Expect(cudaFree(a) == cudaSuccess, "cudaFree (other device current)", thread, i);
        f.Expect(cudaSetDevice(device) == cudaSuccess, "cudaSetDevice", thread, i);
        break;
    }
  }

  // Out of memory through each call: a failure booked, and the thread's last
  // error what the runtime made it (read, then reset by cudaGetLastError).
  void* p = nullptr;
  size_t pitch = 0;
  constexpr size_t kTooBig = size_t{1} << 40;  // more than a stub device has
  const auto out_of_memory = [&](cudaError_t result, const char* what) {
    f.Expect(result == cudaErrorMemoryAllocation, what, thread, -1);
    f.Expect(cudaPeekAtLastError() == cudaErrorMemoryAllocation, "cudaPeekAtLastError after it", thread, -1);
    f.Expect(cudaGetLastError() == cudaErrorMemoryAllocation, "cudaGetLastError after it", thread, -1);
    f.Expect(cudaGetLastError() == cudaSuccess, "cudaGetLastError reset", thread, -1);
  };
  out_of_memory(cudaMalloc(&p, kTooBig), "cudaMalloc (too big)");
  out_of_memory(cudaMallocPitch(&p, &pitch, size_t{1} << 30, size_t{1} << 12), "cudaMallocPitch (too big)");
  out_of_memory(cudaMallocManaged(&p, kTooBig, cudaMemAttachGlobal), "cudaMallocManaged (too big)");
  out_of_memory(cudaMallocAsync(&p, kTooBig, stream), "cudaMallocAsync (too big)");
  out_of_memory(cudaMallocAsync_ptsz(&p, kTooBig, cudaStreamPerThread), "cudaMallocAsync_ptsz (too big)");

  // Calls that fail otherwise, or allocate nothing, book nothing.
  f.Expect(cudaMalloc(&p, 0) == cudaSuccess && p == nullptr, "cudaMalloc (0 bytes)", thread, -1);
  f.Expect(cudaFree(reinterpret_cast<void*>(std::uintptr_t{0xdead0000})) != cudaSuccess, "cudaFree (never allocated)",
           thread, -1);
  f.Expect(cudaFree(nullptr) == cudaSuccess, "cudaFree (null)", thread, -1);

  if (leak) {  // left live on purpose
    f.Expect(cudaMalloc(&p, 2 << 20) == cudaSuccess, "leak: cudaMalloc", thread, -1);
    f.Expect(cudaMallocManaged(&p, 256 << 10, cudaMemAttachGlobal) == cudaSuccess, "leak: cudaMallocManaged", thread,
             -1);
    f.Expect(cudaMallocAsync(&p, 96 << 10, stream) == cudaSuccess, "leak: cudaMallocAsync", thread, -1);
  }
  return f.count;
}
