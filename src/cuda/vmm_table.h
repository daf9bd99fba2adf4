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

// Each call returns the allocations whose last reference it removed: free them.
class VmmTable {
 public:
  // cuMemCreate returned `handle` for `allocation`. A handle already booked
  // under that value lost its reference unseen; that reference goes.
  std::vector<PhysicalAllocation> Create(std::uint64_t handle, const PhysicalAllocation& allocation);
  // cuMemRetainAllocationHandle returned `handle` for the allocation mapped
  // at `address` (anywhere in the mapping). False when none is booked there.
  bool Retain(std::uint64_t handle, std::uint64_t address);
  // cuMemRelease(handle).
  std::vector<PhysicalAllocation> Release(std::uint64_t handle);
  // cuMemMap(address, size, offset, handle). A mapping already booked at
  // `address` was unmapped unseen; it goes.
  std::vector<PhysicalAllocation> Map(std::uint64_t address, std::uint64_t size, std::uint64_t handle);
  // cuMemUnmap(address, size): every mapping that begins in [address, address + size).
  std::vector<PhysicalAllocation> Unmap(std::uint64_t address, std::uint64_t size);

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

  void DropHandleReferenceLocked(std::uint64_t handle, std::vector<PhysicalAllocation>& ended);
  void DropMappingLocked(std::map<std::uint64_t, Mapping>::iterator mapping, std::vector<PhysicalAllocation>& ended);
  void EndIfUnreferencedLocked(std::unordered_map<std::uint64_t, Physical>::iterator physical,
                               std::vector<PhysicalAllocation>& ended);

  std::mutex mutex_;
  std::unordered_map<std::uint64_t, Physical> physicals_;       // by buffer id; protected by mutex_
  std::unordered_map<std::uint64_t, HandleReferences> handles_;  // by handle value; protected by mutex_
  std::map<std::uint64_t, Mapping> mappings_;                    // by start address; protected by mutex_
};

}  // namespace memledger::cuda
