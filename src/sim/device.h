// device.h — Device: one simulated accelerator. It owns a BankAllocator per
// memory region and the program cache, reports itself at open (with every
// region's address space, and CB within L1) and close, and is the one place
// where memledger's alloc, free and alloc_failed hooks are placed around the
// allocator (per the device's HookPolicy). It lays out programs' circular
// buffers in L1 (cb_layout.h) and keeps the failures it booked (their
// FailureTruth) and the circular buffers' counts for the Truth.
//
// What is hooked (memledger.h, memledger_address_space): a buffer at
// bank-local address A is hooked at InterleavedAddress(region, A) with size
// BankFootprint x banks (its extent, not the requested size); a circular
// buffer at L1 bank-local A of S bytes per core at InterleavedAddress(L1, A)
// with size S x L1's banks. With HookOrder::kCorrect the alloc, free and
// failure hooks run under the region's lock (bank_allocator.h), so the
// ledger sees the allocator's changes in its order.
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
#include <mutex>
#include <string>
#include <vector>

#include "memledger/memledger.hpp"
#include "sim/bank_allocator.h"
#include "sim/cb_layout.h"
#include "sim/device_spec.h"
#include "sim/hook_policy.h"

namespace memledger::sim {

class ProgramCache;

// Which hooks report an allocation: memledger_alloc/free, cb_alloc/cb_free or
// kernel_load/kernel_unload.
enum class AllocationKind : std::uint8_t { kBuffer, kCircularBuffer, kKernelBinary };

// Whether a failed allocation is booked (memledger_alloc_failed and the
// Truth's failures): kQuiet for an attempt the caller will retry after making
// room (the program cache evicting), which no program sees fail.
enum class OnFailure : std::uint8_t { kBook, kQuiet };

// One reported allocation. The hooks get InterleavedAddress(region, address),
// not the bank-local address, and `extent`, not `size`.
struct Allocation {
  MemType type;
  AllocationKind kind;
  std::uint64_t id;       // unique in the process, never 0
  std::uint64_t address;  // bank-local, the same in every bank
  std::uint64_t size;     // requested
  std::uint64_t extent;   // hooked: footprint per bank x banks; counted in the allocator's live bytes
};

class Device {
 public:
  // Brings the device up: builds its allocators (each managing `part` of its
  // region when banked) and opens it with memledger: the capacity and address
  // space of every region (the whole region, whatever `part`), CB within L1
  // when there is L1, and `uid` (what it is physically; "": none).
  Device(std::uint32_t id, const DeviceSpec& spec, HookPolicy hooks, const std::string& uid = {},
         RegionPart part = {});
  // Close()s the device if it is still open.
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Allocates in the region of `type` and reports it, its site being the
  // thread's CurrentAllocationSite(); nullopt when that region cannot place
  // it, which is booked (memledger_alloc_failed with the requested size and
  // the extent, and a FailureTruth) unless `on_failure` is kQuiet. Throws
  // std::invalid_argument when the device has no such region.
  std::optional<Allocation> Allocate(MemType type, AllocationKind kind, std::uint64_t size, std::uint64_t page_size,
                                     OnFailure on_failure = OnFailure::kBook);
  // Lays out a program's circular buffers from L1's base upwards and reports
  // them (memledger_cb_alloc), if their region ends at or below the lowest
  // live L1 buffer. Else that is a clash: booked (memledger_alloc_failed for
  // MEMLEDGER_CB with the region's size from L1's base, and a FailureTruth),
  // and nullopt. Launches on several threads overlap their layouts, as
  // programs take turns in that region. Throws std::invalid_argument when
  // the device has no L1.
  std::optional<std::vector<Allocation>> AllocateCircularBuffers(const std::vector<CircularBufferSpec>& specs);
  // Releases an allocation made by Allocate or AllocateCircularBuffers and
  // reports its free, in the order the HookPolicy says.
  void Release(const Allocation& allocation);

  // Unloads every cached program's kernel binaries (reported as unloads).
  void UnloadPrograms();
  // UnloadPrograms(), then memledger_device_close. Whatever is still allocated
  // stays so: the ledger counts it as leaked. Idempotent.
  void Close();

  std::uint32_t id() const { return id_; }
  const DeviceSpec& spec() const { return spec_; }
  HookPolicy hooks() const { return hooks_; }
  // The allocator of `type`'s region, or nullptr when the device has none
  // (CB has none: its buffers are in L1).
  const BankAllocator* allocator(MemType type) const;
  // The circular buffers' counts (hooked sizes); all zero without L1.
  RegionUsage circular_buffer_usage() const;
  // The failures booked so far, in the order they happened: the first
  // kFailuresKept of them; failure_count() says how many there were.
  std::vector<FailureTruth> failures() const;
  std::uint64_t failure_count() const;
  ProgramCache& program_cache() { return *program_cache_; }

 private:
  BankAllocator& RegionOf(MemType type);
  void BookFailure(FailureTruth failure);

  const std::uint32_t id_;
  const DeviceSpec spec_;
  const HookPolicy hooks_;
  std::array<std::unique_ptr<BankAllocator>, MEMLEDGER_FIRST_POOL> allocators_;  // by built-in memledger_mem_type
  std::unique_ptr<ProgramCache> program_cache_;
  mutable std::mutex books_mutex_;
  RegionUsage circular_buffers_;        // protected by books_mutex_
  std::vector<FailureTruth> failures_;  // protected by books_mutex_; taken under a region's lock (then this one)
  std::uint64_t failure_count_ = 0;     // protected by books_mutex_
  bool open_ = true;
};

}  // namespace memledger::sim
