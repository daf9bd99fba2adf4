// device_registry.h — the devices and memory types the interposer books into.
//
// Memory types:
//   - DRAM (built in): device memory from cudaMalloc, cudaMallocPitch,
//     cudaMallocAsync and the driver calls under them (cuMemAlloc_v2,
//     cuMemAllocPitch_v2, cuMemAllocAsync).
//   - MANAGED (a pool): cudaMallocManaged / cuMemAllocManaged. Its pages
//     migrate between host and devices and may exceed a device's memory, so
//     it is kept apart from DRAM; booked on the device current when it was
//     allocated, with no capacity.
//   - VMM_PHYSICAL (a pool): physical allocations of cuMemCreate on a device
//     (vmm_table.h), on the device the allocation names.
// DRAM and VMM_PHYSICAL draw on the same device memory: both get the
// device's total memory as capacity, and their sum cannot exceed it.
//
// Each device ordinal is opened with the ledger once, before anything is
// booked on it: its name from cuDeviceGetName, its memory from
// cuDeviceTotalMem_v2 (neither available: "CUDA device N", no capacity), and
// what it is physically from cuDeviceGetUuid(_v2), spelled as nvidia-smi
// does ("GPU-8d4b5c6e-..."; "MIG-..." is not told apart: the driver gives a
// MIG instance a UUID of its own, which is what its memory is). So the
// processes that CUDA_VISIBLE_DEVICES gives different ordinals of one GPU
// share its books, and each one's "device 0" on different GPUs are
// different devices. No UUID (an old driver): the device is its ordinal.
//
// Thread-safety: thread-safe; after the first call per device, one acquire load.
#pragma once

#include <memledger/memledger.h>

#include <cstdint>

namespace memledger::cuda {

struct MemoryTypes {
  memledger_mem_type device_memory;
  memledger_mem_type managed;
  memledger_mem_type vmm_physical;
};

// Registers the pools on first use (DRAM stands in for a pool the ledger has no room for).
const MemoryTypes& Types();

// Opens `device` with the ledger unless this process already did.
void OpenDeviceOnce(std::uint32_t device);

}  // namespace memledger::cuda
