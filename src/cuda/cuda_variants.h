// cuda_variants.h — the CUDA entry points that a default build of cuda.h and
// cuda_runtime_api.h does not declare under their exported names, declared
// here with the toolkit's own types so the interposer (and the test's stub
// runtime) can define them:
//   - the per-thread default stream variants (_ptsz), which programs built
//     with --default-stream per-thread call, and which cuGetProcAddress hands
//     out when asked with CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM;
//   - the first cuGetProcAddress (CUDA 11.3 to 11.8: no symbolStatus), whose
//     name cuda.h redefines to cuGetProcAddress_v2: declared as
//     cuGetProcAddressV11030 with the exported name as its assembler label.
#pragma once

#include <cuda.h>
#include <cuda_runtime_api.h>

extern "C" {

CUresult CUDAAPI cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUstream hStream);
CUresult CUDAAPI cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream);
CUresult CUDAAPI cuGetProcAddressV11030(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags) __asm__(
    "cuGetProcAddress");

cudaError_t CUDARTAPI cudaMallocAsync_ptsz(void** devPtr, size_t size, cudaStream_t hStream);
cudaError_t CUDARTAPI cudaFreeAsync_ptsz(void* devPtr, cudaStream_t hStream);

}  // extern "C"
