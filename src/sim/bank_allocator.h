// bank_allocator.h — BankAllocator: the device runtime's allocator for one
// banked memory region. Buffers are interleaved page by page over the banks
// and every bank allocates the same bank-local address (lockstep, like
// tt-metal's bank manager), so one first-fit FreeList describes all banks.
// It also keeps the allocator's own view of what is live (the "truth" the
// ledger is checked against).
//
// Invariants (under mutex_):
//   live_bytes = Σ size of live allocations, live_allocations = |live|,
//   allocations - deallocations = live_allocations.
//
// Thread-safety: thread-safe; every member may be called from any thread. One
// mutex per region (the runtime's own lock, not memledger's).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "sim/bank_region.h"
#include "sim/free_list.h"

namespace memledger::sim {

struct RegionUsage {
  std::uint64_t live_bytes = 0;        // Σ requested size of live allocations
  std::uint64_t live_allocations = 0;
  std::uint64_t allocations = 0;       // successful Allocate calls, ever
  std::uint64_t deallocations = 0;     // Deallocate calls, ever
};

class BankAllocator {
 public:
  explicit BankAllocator(const BankRegion& region);

  // Reserves a buffer of `size` bytes in `page_size` pages interleaved over
  // all banks and returns its bank-local address; nullopt when the region is
  // out of memory. `size` and `page_size` must be nonzero.
  std::optional<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t page_size);

  // Releases the allocation at `address`; throws std::logic_error when
  // nothing is allocated there (a double free in the runtime).
  void Deallocate(std::uint64_t address);

  RegionUsage usage() const;
  // Successful allocations so far; lock-free (relaxed) so a thread can watch
  // for another thread's allocation without taking the lock.
  std::uint64_t allocation_count() const { return allocation_count_.load(std::memory_order_relaxed); }
  const BankRegion& region() const { return region_; }

 private:
  struct Live {
    std::uint64_t footprint;  // bytes reserved in each bank
    std::uint64_t size;       // requested size
  };

  const BankRegion region_;
  mutable std::mutex mutex_;
  FreeList free_list_;                             // protected by mutex_
  std::unordered_map<std::uint64_t, Live> live_;   // address -> allocation; protected by mutex_
  RegionUsage usage_;                              // protected by mutex_
  std::atomic<std::uint64_t> allocation_count_{0};
};

}  // namespace memledger::sim
