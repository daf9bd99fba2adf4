// device_spec.cc — the memory layouts of the simulated devices.
#include "sim/device_spec.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kKiB = 1024;
constexpr std::uint64_t kMiB = 1024 * kKiB;
constexpr std::uint64_t kGiB = 1024 * kMiB;

}  // namespace

DeviceSpec WormholeB0() {
  constexpr std::uint32_t kDramBanks = 12;
  constexpr std::uint64_t kDramBankSize = 1 * kGiB;
  constexpr std::uint64_t kDramReserved = 64 * kKiB;  // below the first buffer in each bank
  constexpr std::uint64_t kTraceSize = 32 * kMiB;     // top of each DRAM bank
  constexpr std::uint32_t kCores = 64;
  constexpr std::uint64_t kL1Size = 1464 * kKiB;
  constexpr std::uint64_t kFirmware = 32 * kKiB;
  constexpr std::uint64_t kKernelSize = 96 * kKiB;
  constexpr std::uint64_t kL1SmallSize = 64 * kKiB;
  constexpr std::uint64_t kKernelBase = kFirmware;
  constexpr std::uint64_t kL1Base = kKernelBase + kKernelSize;
  constexpr std::uint64_t kL1SmallBase = kL1Size - kL1SmallSize;
  return DeviceSpec{
      "sim-wormhole_b0",
      {
          {MemType::kDram, kDramReserved, kDramBankSize - kDramReserved - kTraceSize, kDramBanks, 32},
          {MemType::kTrace, kDramBankSize - kTraceSize, kTraceSize, kDramBanks, 32},
          {MemType::kL1, kL1Base, kL1SmallBase - kL1Base, kCores, 16, Placement::kTopDown},
          {MemType::kL1Small, kL1SmallBase, kL1SmallSize, kCores, 16, Placement::kTopDown},
          {MemType::kKernel, kKernelBase, kKernelSize, 1, 16},
          {MemType::kSystemMemory, 0, 1 * kGiB, 1, 64},
      },
  };
}

DeviceSpec TinyL1Arena(std::uint32_t banks, std::uint64_t bank_size) {
  return DeviceSpec{"sim-tiny_l1", {{MemType::kL1, 0, bank_size, banks, 16, Placement::kTopDown}}};
}

}  // namespace memledger::sim
