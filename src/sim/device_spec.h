// device_spec.h — DeviceSpec: what a simulated device is made of (its name and
// its banked memory regions), and the specs the workloads use.
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/bank_region.h"

namespace memledger::sim {

struct DeviceSpec {
  std::string name;                 // reported at device open, e.g. "sim-wormhole_b0"
  std::vector<BankRegion> regions;  // at most one per memory type
};

// A Wormhole B0-like card: 12 DRAM banks of 1 GiB (the top 32 MiB of each is
// the TRACE region) and 64 worker cores with 1464 KiB of L1 each, laid out per
// core as [firmware | KERNEL | L1 | L1_SMALL]; plus 1 GiB of pinned host
// memory (SYSTEM_MEMORY). As in tt-metal, DRAM and TRACE buffers are placed
// bottom-up, L1 and L1_SMALL buffers top-down, and programs' circular
// buffers are laid out in L1 from its base upwards.
DeviceSpec WormholeB0();

// A deliberately small device: only L1 (top-down), `banks` banks of
// `bank_size` bytes each, so that addresses are reused as often as possible.
DeviceSpec TinyL1Arena(std::uint32_t banks, std::uint64_t bank_size);

}  // namespace memledger::sim
