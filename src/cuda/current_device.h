// current_device.h — which device a call's memory is on, asked of the real
// libraries: the current context's device (cuCtxGetDevice) for driver calls,
// cudaGetDevice for runtime calls, and a stream's own device for
// stream-ordered allocations (cuStreamGetDevice, CUDA 12.8 drivers and
// later; before them, and for the null, legacy and per-thread streams, the
// current device).
//
// Thread-safety: any thread; they ask about the calling thread's context.
#pragma once

#include <cuda.h>

#include <cstdint>

namespace memledger::cuda {

std::uint32_t DriverCurrentDevice();
std::uint32_t RuntimeCurrentDevice();
// `current` is the device to fall back on: DriverCurrentDevice or RuntimeCurrentDevice.
std::uint32_t StreamDevice(CUstream stream, std::uint32_t (*current)());

}  // namespace memledger::cuda
