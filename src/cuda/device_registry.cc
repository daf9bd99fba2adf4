// device_registry.cc — see device_registry.h.
#include "cuda/device_registry.h"

#include <cuda.h>

#include <cstdio>
#include <mutex>
#include <string>

#include "cuda/entry_points.h"

namespace memledger::cuda {
namespace {

constexpr std::uint32_t kMaxDevices = 256;  // CUDA ordinals are far fewer
constinit std::once_flag g_opened[kMaxDevices];

memledger_mem_type PoolOrDram(const char* name) {
  const int type = memledger_register_pool(name);
  return type < 0 ? memledger_mem_type{MEMLEDGER_DRAM} : static_cast<memledger_mem_type>(type);
}

// The device's UUID as nvidia-smi prints it ("GPU-" and 8-4-4-4-12 hex
// digits); "" when the driver cannot tell.
std::string Uuid(CUdevice ordinal) {
  auto get_uuid = Real<decltype(&cuDeviceGetUuid)>(EntryPoint::kCuDeviceGetUuidV2);
  if (get_uuid == nullptr) get_uuid = Real<decltype(&cuDeviceGetUuid)>(EntryPoint::kCuDeviceGetUuid);
  CUuuid uuid{};
  if (get_uuid == nullptr || get_uuid(&uuid, ordinal) != CUDA_SUCCESS) return {};
  std::string text = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", static_cast<unsigned char>(uuid.bytes[i]));
    text += hex;
  }
  return text;
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
  const std::string uid = Uuid(ordinal);
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = name;
  description.capacities = capacities;
  description.capacity_count = n;
  description.uid = uid.c_str();
  memledger_device_open_described(device, &description);
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
