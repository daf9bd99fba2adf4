// device_registry.cc — see device_registry.h.
#include "cuda/device_registry.h"

#include <cuda.h>

#include <cstdio>
#include <mutex>

#include "cuda/entry_points.h"

namespace memledger::cuda {
namespace {

constexpr std::uint32_t kMaxDevices = 256;  // CUDA ordinals are far fewer
constinit std::once_flag g_opened[kMaxDevices];

memledger_mem_type PoolOrDram(const char* name) {
  const int type = memledger_register_pool(name);
  return type < 0 ? memledger_mem_type{MEMLEDGER_DRAM} : static_cast<memledger_mem_type>(type);
}

void OpenDevice(std::uint32_t device) {
  const MemoryTypes& types = Types();  // pools first: the device's capacities name them
  const auto ordinal = static_cast<CUdevice>(device);
  char name[256];
  const auto get_name = Real<decltype(&cuDeviceGetName)>(EntryPoint::kCuDeviceGetName);
  if (get_name == nullptr || get_name(name, sizeof(name), ordinal) != CUDA_SUCCESS) {
    std::snprintf(name, sizeof(name), "CUDA device %u", device);
  }
  name[sizeof(name) - 1] = '\0';
  memledger_capacity capacities[2];
  std::size_t n = 0;
  std::size_t total = 0;
  const auto total_mem = Real<decltype(&cuDeviceTotalMem_v2)>(EntryPoint::kCuDeviceTotalMem);
  if (total_mem != nullptr && total_mem(&total, ordinal) == CUDA_SUCCESS) {
    capacities[n++] = {types.device_memory, total};
    if (types.vmm_physical != types.device_memory) capacities[n++] = {types.vmm_physical, total};
  }
  memledger_device_open(device, name, capacities, n);
}

}  // namespace

const MemoryTypes& Types() {
  static const MemoryTypes types{MEMLEDGER_DRAM, PoolOrDram("MANAGED"), PoolOrDram("VMM_PHYSICAL")};
  return types;
}

void OpenDeviceOnce(std::uint32_t device) {
  if (device >= kMaxDevices) return;  // booked all the same; the ledger shows it without a name
  std::call_once(g_opened[device], OpenDevice, device);
}

}  // namespace memledger::cuda
