// vmm_table.h — the virtual memory management calls' books. cuMemCreate makes
// a physical allocation (a handle and a size); cuMemMap maps it, or part of
// it, at a virtual address; cuMemRelease drops the handle and cuMemUnmap a
// mapping. The driver frees the physical memory when the last of these
// references goes, which is often an unmap long after the release (create,
// map, release the handle at once, unmap when done). So a physical
// allocation is one buffer, booked at cuMemCreate and freed when its last
// handle reference and its last mapping are gone; mappings are views of it
// and are not booked as memory (no bytes counted twice).
//
//   references(allocation) = handle references (create + retains - releases)
//                          + mappings that hold it
//   the allocation is live  <=>  references(allocation) > 0
//
// Handles the interposer did not see created (imported from another
// process, or memory not on a device) are not booked, nor their mappings.
//
// Order: what a handle value or an address means changes only at the
// driver's calls, so the books must change in the driver's order. A call
// that gives a value out (cuMemCreate, cuMemRetainAllocationHandle,
// cuMemMap) is booked after it returns; a call that gives one back
// (cuMemRelease, cuMemUnmap) is booked BEFORE the real call, since once it
// has returned the driver may hand the same value to another thread, whose
// cuMemCreate would be booked first and then lose its reference to this
// release's booking. When the real call fails, Restore puts back what its
// booking dropped.
//
// Thread-safety: thread-safe, under one mutex: these calls change the
// device's page tables and are rare next to cudaMalloc.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace memledger::cuda {

struct PhysicalAllocation {
  std::uint64_t buffer_id;  // the identity the ledger knows it by
  std::uint32_t device;
  std::uint64_t size;
};

// What the booking of a cuMemRelease or cuMemUnmap dropped, to put back if
// the real call fails.
struct VmmDrops {
  struct HandleReference {
    std::uint64_t handle;
    std::uint64_t buffer_id;
  };
  struct MappingAt {
    std::uint64_t address;
    std::uint64_t size;
    std::uint64_t buffer_id;
  };
  std::vector<PhysicalAllocation> ended;  // the allocations whose last reference went: freed in the books
  std::vector<HandleReference> handle_references;
  std::vector<MappingAt> mappings;
};

// Each call returns the allocations whose last reference it removed: free them.
class VmmTable {
 public:
  // cuMemCreate returned `handle` for `allocation`. A handle already booked
  // under that value lost its reference unseen; that reference goes.
  std::vector<PhysicalAllocation> Create(std::uint64_t handle, const PhysicalAllocation& allocation);
  // cuMemRetainAllocationHandle returned `handle` for the allocation mapped
  // at `address` (anywhere in the mapping). False when none is booked there.
  bool Retain(std::uint64_t handle, std::uint64_t address);
  // cuMemRelease(handle), before the real call (see Order above).
  std::vector<PhysicalAllocation> Release(std::uint64_t handle) { return Release(handle, nullptr); }
  // The same; what it dropped also goes into `drops`, for Restore.
  std::vector<PhysicalAllocation> Release(std::uint64_t handle, VmmDrops* drops);
  // cuMemMap(address, size, offset, handle). A mapping already booked at
  // `address` was unmapped unseen; it goes.
  std::vector<PhysicalAllocation> Map(std::uint64_t address, std::uint64_t size, std::uint64_t handle);
  // cuMemUnmap(address, size), before the real call: every mapping that
  // begins in [address, address + size).
  std::vector<PhysicalAllocation> Unmap(std::uint64_t address, std::uint64_t size) {
    return Unmap(address, size, nullptr);
  }
  std::vector<PhysicalAllocation> Unmap(std::uint64_t address, std::uint64_t size, VmmDrops* drops);
  // The real call `drops` was booked before failed: its handle references
  // and mappings are back. Returns the allocations of drops.ended that live
  // again (same buffer ids): book them again.
  std::vector<PhysicalAllocation> Restore(const VmmDrops& drops);

 private:
  struct Physical {
    PhysicalAllocation allocation;
    std::uint32_t handle_references;
    std::uint32_t mappings;
  };
  struct HandleReferences {
    std::uint64_t buffer_id;
    std::uint32_t count;  // cuMemCreate or cuMemRetainAllocationHandle calls that returned this value, less releases
  };
  struct Mapping {
    std::uint64_t size;
    std::uint64_t buffer_id;
  };

  // `drops` (may be null) also gets what was dropped.
  void DropHandleReferenceLocked(std::uint64_t handle, std::vector<PhysicalAllocation>& ended, VmmDrops* drops);
  void DropMappingLocked(std::map<std::uint64_t, Mapping>::iterator mapping, std::vector<PhysicalAllocation>& ended,
                         VmmDrops* drops);
  void EndIfUnreferencedLocked(std::unordered_map<std::uint64_t, Physical>::iterator physical,
                               std::vector<PhysicalAllocation>& ended);

  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Physical> physicals_;       // by buffer id; protected by mutex_
  std::unordered_map<std::uint64_t, HandleReferences> handles_;  // by handle value; protected by mutex_
  std::map<std::uint64_t, Mapping> mappings_;                    // by start address; protected by mutex_
};

}  // namespace memledger::cuda
