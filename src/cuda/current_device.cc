// current_device.cc — see current_device.h.
#include "cuda/current_device.h"

#include <cuda_runtime_api.h>

#include "cuda/entry_points.h"

namespace memledger::cuda {

// Called after an allocation call (successful, or out of memory), so a
// context is current; if the driver still cannot say, the memory (or the
// failure) is booked on device 0.
std::uint32_t DriverCurrentDevice() {
  CUdevice device = 0;
  const auto get_device = Real<decltype(&cuCtxGetDevice)>(EntryPoint::kCuCtxGetDevice);
  if (get_device == nullptr || get_device(&device) != CUDA_SUCCESS || device < 0) return 0;
  return static_cast<std::uint32_t>(device);
}

std::uint32_t RuntimeCurrentDevice() {
  int device = 0;
  const auto get_device = Real<decltype(&cudaGetDevice)>(EntryPoint::kCudaGetDevice);
  if (get_device == nullptr || get_device(&device) != cudaSuccess || device < 0) return DriverCurrentDevice();
  return static_cast<std::uint32_t>(device);
}

std::uint32_t StreamDevice(CUstream stream, std::uint32_t (*current)()) {
  if (stream == nullptr || stream == CU_STREAM_LEGACY || stream == CU_STREAM_PER_THREAD) return current();
  CUdevice device = 0;
  const auto get_device = Real<decltype(&cuStreamGetDevice)>(EntryPoint::kCuStreamGetDevice);
  if (get_device == nullptr || get_device(stream, &device) != CUDA_SUCCESS || device < 0) return current();
  return static_cast<std::uint32_t>(device);
}

}  // namespace memledger::cuda
