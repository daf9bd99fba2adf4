// bank_allocator.h — BankAllocator: the device runtime's allocator for one
// banked memory region. Buffers are interleaved page by page over the banks
// and every bank allocates the same bank-local address (lockstep, like
// tt-metal's bank manager), so one FreeList, placed as the region says
// (bottom-up or top-down), describes all banks. It manages the region's
// RegionPart (all of it unless --l1-partition), and keeps the allocator's
// own view of what is live (the "truth" the ledger is checked against):
// every live block with its footprint and allocation site.
//
// Hooks under the lock: Allocate, Deallocate and CheckCbRegion run the
// caller's hook (memledger's alloc, free, alloc_failed) while they hold the
// region's mutex, so the order in which the hooks are recorded is the order
// the allocator changed; a failure's snapshot is exactly what the ledger has
// seen when it books the failure.
//
// Invariants (under mutex_), in hook units (footprint x banks):
//   live_bytes = Σ size of live allocations, live_allocations = |live|,
//   allocations - deallocations = live_allocations,
//   free bytes + live_bytes = managed size x banks.
//
// Thread-safety: thread-safe; every member may be called from any thread. One
// mutex per region (the runtime's own lock, not memledger's). Hooks must not
// call back into the same allocator.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "sim/bank_region.h"
#include "sim/failure_truth.h"
#include "sim/free_list.h"

namespace memledger::sim {

struct RegionUsage {
  std::uint64_t live_bytes = 0;        // Σ hooked size (footprint x banks) of live allocations
  std::uint64_t live_allocations = 0;
  std::uint64_t allocations = 0;       // successful Allocate calls, ever
  std::uint64_t deallocations = 0;     // Deallocate calls, ever
};

class BankAllocator {
 public:
  explicit BankAllocator(const BankRegion& region, RegionPart part = {});

  // Reserves a buffer of `size` bytes in `page_size` pages interleaved over
  // all banks and returns its bank-local address; `site` names who asked
  // (allocation_site.h). Under the lock it then calls placed(address) — or,
  // when the region cannot place it, failed(snapshot), snapshot.type and the
  // request fields left for the caller — and returns nullopt. `size` and
  // `page_size` must be nonzero.
  template <typename Placed, typename Failed>
  std::optional<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t page_size, const char* site,
                                        Placed&& placed, Failed&& failed) {
    const std::uint64_t footprint = CheckedFootprint(size, page_size);
    std::lock_guard lock(mutex_);
    const std::optional<std::uint64_t> address = AllocateLocked(footprint, site);
    if (address) {
      placed(*address);
    } else {
      failed(FailureLocked(footprint));
    }
    return address;
  }
  std::optional<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t page_size) {
    return Allocate(size, page_size, "", [](std::uint64_t) {}, [](const FailureTruth&) {});
  }

  // Releases the allocation at `address`, calling before_release() under the
  // lock first; throws std::logic_error when nothing is allocated there (a
  // double free in the runtime).
  template <typename BeforeRelease>
  void Deallocate(std::uint64_t address, BeforeRelease&& before_release) {
    std::lock_guard lock(mutex_);
    CheckLiveLocked(address);
    before_release();
    DeallocateLocked(address);
  }
  void Deallocate(std::uint64_t address) {
    Deallocate(address, [] {});
  }

  // Whether circular buffers laid out up to bank-local `region_end` stay
  // below every live buffer of the region (tt-metal's check against the
  // lowest occupied L1 address). If they do, calls fits() under the lock and
  // returns true; else calls clashed(failure) under the lock — verdict
  // kCbClash (kExhausted when the region end is past the region with nothing
  // live), the region's snapshot, cb_region_end and the blocks below it —
  // and returns false.
  template <typename Fits, typename Clashed>
  bool CheckCbRegion(std::uint64_t region_end, Fits&& fits, Clashed&& clashed) {
    std::lock_guard lock(mutex_);
    if (CbRegionFitsLocked(region_end)) {
      fits();
      return true;
    }
    clashed(ClashLocked(region_end));
    return false;
  }

  RegionUsage usage() const;
  // The region's state now (free space, holes, live blocks), hook units.
  RegionSnapshot Snapshot() const;
  // Successful allocations so far; lock-free (relaxed) so a thread can watch
  // for another thread's allocation without taking the lock.
  std::uint64_t allocation_count() const { return allocation_count_.load(std::memory_order_relaxed); }
  const BankRegion& region() const { return region_; }
  ManagedRange managed() const { return managed_; }
  // What an allocation of `size` bytes in `page_size` pages is hooked with: its footprint x banks.
  std::uint64_t HookedSize(std::uint64_t size, std::uint64_t page_size) const {
    return BankFootprint(region_, size, page_size) * region_.banks;
  }

 private:
  struct Live {
    std::uint64_t footprint;  // bytes reserved in each bank
    const char* site;
  };

  std::uint64_t CheckedFootprint(std::uint64_t size, std::uint64_t page_size) const;
  std::optional<std::uint64_t> AllocateLocked(std::uint64_t footprint, const char* site);
  void CheckLiveLocked(std::uint64_t address) const;
  void DeallocateLocked(std::uint64_t address);
  bool CbRegionFitsLocked(std::uint64_t region_end) const;
  RegionSnapshot SnapshotLocked() const;
  FailureTruth FailureLocked(std::uint64_t footprint) const;
  FailureTruth ClashLocked(std::uint64_t region_end) const;
  LiveBlock BlockOf(std::uint64_t address, const Live& live) const;

  const BankRegion region_;
  const ManagedRange managed_;
  mutable std::mutex mutex_;
  FreeList free_list_;                  // protected by mutex_
  std::map<std::uint64_t, Live> live_;  // address -> allocation, lowest first; protected by mutex_
  RegionUsage usage_;                   // protected by mutex_
  std::atomic<std::uint64_t> allocation_count_{0};
};

}  // namespace memledger::sim
