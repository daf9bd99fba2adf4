// stub_counts.h — the stub driver's own books (stub_driver.cc), what the
// interposer's ledger must equal: per device and memory kind, allocations,
// frees and what is live. Kinds name the ledger's memory types
// (src/cuda/device_registry.h): DRAM (cuMemAlloc*, cuMemAllocAsync and the
// runtime calls on them), MANAGED, VMM_PHYSICAL (cuMemCreate on a device,
// freed when its last handle and mapping are gone). Physical memory on the
// host is not counted: it is not device memory. A request larger than the
// device's memory fails with CUDA_ERROR_OUT_OF_MEMORY (cudaErrorMemoryAllocation
// from the runtime), counted in `failures` of its device and kind: the
// failures the interposer must book.
#pragma once

#include <cstdint>

inline constexpr int kStubDevices = 2;
inline constexpr int kStubKinds = 3;
inline constexpr const char* kStubKindNames[kStubKinds] = {"DRAM", "MANAGED", "VMM_PHYSICAL"};

struct StubKindCounts {
  std::uint64_t allocs;
  std::uint64_t frees;
  std::uint64_t live_buffers;
  std::uint64_t live_bytes;
  std::uint64_t failures;  // requests refused with CUDA_ERROR_OUT_OF_MEMORY
};

struct StubDeviceCounts {
  char name[64];
  char uuid[48];  // as nvidia-smi spells it: "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
  std::uint64_t total_bytes;
  StubKindCounts kinds[kStubKinds];
};

struct StubCounts {
  StubDeviceCounts devices[kStubDevices];
};

// Exported by the stub libcuda.so.1. Thread-safe.
extern "C" void memledger_stub_counts(StubCounts* counts);
using StubCountsFunction = void (*)(StubCounts*);

// A release the driver holds, to give its handle value to another thread's
// cuMemCreate before the release returns: the next cuMemRelease of `handle`
// that gives the value back waits, once it has, until memledger_stub_release_go();
// memledger_stub_wait_release_held() returns once it waits. One at a time.
extern "C" void memledger_stub_hold_release(std::uint64_t handle);
extern "C" void memledger_stub_wait_release_held();
extern "C" void memledger_stub_release_go();
using StubHoldReleaseFunction = void (*)(std::uint64_t);
using StubWaitReleaseHeldFunction = void (*)();
using StubReleaseGoFunction = void (*)();
