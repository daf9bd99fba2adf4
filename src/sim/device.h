// device.h — Device: one simulated accelerator. It owns a BankAllocator per
// memory region and the program cache, reports itself at open and close, and
// is the one place where memledger's alloc and free hooks are placed around
// the allocator (per the device's HookPolicy).
//
// Thread-safety: thread-safe unless stated; Allocate and Release may be called
// from any number of threads at once. Construction, UnloadPrograms and Close
// must not run concurrently with anything else on the device. A Device must outlive every Buffer, Program
// launch and Allocation made on it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "memledger/memledger.hpp"
#include "sim/bank_allocator.h"
#include "sim/device_spec.h"
#include "sim/hook_policy.h"

namespace memledger::sim {

class ProgramCache;

// Which hooks report an allocation: memledger_alloc/free, cb_alloc/cb_free or
// kernel_load/kernel_unload.
enum class AllocationKind : std::uint8_t { kBuffer, kCircularBuffer, kKernelBinary };

// One reported allocation. `size` is the requested size: the number passed to
// the alloc hook and counted in the allocator's live bytes. The hooks get
// InterleavedAddress(region, address), not the bank-local address.
struct Allocation {
  MemType type;
  AllocationKind kind;
  std::uint64_t id;       // unique in the process, never 0
  std::uint64_t address;  // bank-local, the same in every bank
  std::uint64_t size;
};

class Device {
 public:
  // Brings the device up: builds its allocators and opens it with memledger:
  // the capacity of every region, and `uid` (what it is physically; "": none).
  Device(std::uint32_t id, const DeviceSpec& spec, HookPolicy hooks, const std::string& uid = {});
  // Close()s the device if it is still open.
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Allocates in the region of `type` and reports it; nullopt when that region
  // is out of memory (nothing is reported then). Throws std::invalid_argument
  // when the device has no such region.
  std::optional<Allocation> Allocate(MemType type, AllocationKind kind, std::uint64_t size, std::uint64_t page_size);
  // Releases an allocation made by Allocate and reports its free, in the order
  // the HookPolicy says.
  void Release(const Allocation& allocation);

  // Unloads every cached program's kernel binaries (reported as unloads).
  void UnloadPrograms();
  // UnloadPrograms(), then memledger_device_close. Whatever is still allocated
  // stays so: the ledger counts it as leaked. Idempotent.
  void Close();

  std::uint32_t id() const { return id_; }
  const DeviceSpec& spec() const { return spec_; }
  HookPolicy hooks() const { return hooks_; }
  // The allocator of `type`'s region, or nullptr when the device has none.
  const BankAllocator* allocator(MemType type) const;
  ProgramCache& program_cache() { return *program_cache_; }

 private:
  BankAllocator& RegionOf(MemType type);

  const std::uint32_t id_;
  const DeviceSpec spec_;
  const HookPolicy hooks_;
  std::array<std::unique_ptr<BankAllocator>, MEMLEDGER_FIRST_POOL> allocators_;  // by built-in memledger_mem_type
  std::unique_ptr<ProgramCache> program_cache_;
  bool open_ = true;
};

}  // namespace memledger::sim
