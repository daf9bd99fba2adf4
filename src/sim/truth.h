// truth.h — Truth: the simulated runtime's own account of device memory (the
// allocators' view), against which memledger's ledger is checked; and its JSON
// form, schema "memledger.truth/1":
//
//   {"schema":"memledger.truth/1","allocs":N,"frees":N,
//    "leaked":{"buffers":N,"bytes":N},
//    "devices":[{"device":D,"types":{TYPE:{"live_bytes":N,"live_buffers":N}}}]}
//
// allocs/frees count every allocation and release reported through the hooks
// (buffers, circular buffers, kernel binaries). Sizes are the size passed to
// the alloc hook (the requested size). Every region a device has appears under
// "types", also when nothing is live there. Taken just before the devices
// close, "leaked" is what is live then: Σ live over all devices and types.
//
// Thread-safety: TakeTruth must not race with allocations on the devices;
// the rest are pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/bank_allocator.h"
#include "sim/device.h"

namespace memledger::sim {

struct TypeTruth {
  MemType type;
  std::uint64_t live_bytes;
  std::uint64_t live_buffers;
};

struct DeviceTruth {
  std::uint32_t device;
  std::vector<TypeTruth> types;  // in the device spec's region order
};

struct Truth {
  std::uint64_t allocs = 0;
  std::uint64_t frees = 0;
  std::uint64_t leaked_buffers = 0;
  std::uint64_t leaked_bytes = 0;
  std::vector<DeviceTruth> devices;
};

Truth TakeTruth(const std::vector<std::unique_ptr<Device>>& devices);
std::string TruthJson(const Truth& truth);
// Writes TruthJson(truth) to `path`; throws std::runtime_error saying why when
// the file cannot be written.
void WriteTruthJson(const Truth& truth, const std::string& path);

}  // namespace memledger::sim
