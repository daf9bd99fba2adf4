// free_list.h — FreeList: a first-fit allocator over one address range, with
// coalescing on release. It owns only the bookkeeping of which sub-ranges are
// free; it knows nothing of banks, pages, devices or hooks.
//
// Invariant: the free blocks are disjoint, non-adjacent (adjacent blocks are
// always merged) and lie inside [base, base + size); free_bytes() equals the
// sum of their sizes.
//
// Thread-safety: not thread-safe; the owner serializes access (BankAllocator
// holds it under its mutex).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace memledger::sim {

class FreeList {
 public:
  FreeList(std::uint64_t base, std::uint64_t size);

  // The lowest address of the first free block that holds `size` bytes at
  // `alignment` (a power of two); nullopt when no block does (out of memory).
  // The alignment padding in front of the block stays free.
  std::optional<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t alignment);

  // Returns [address, address + size) to the free list, merging it with its
  // free neighbours. The range must have come from Allocate and not be free.
  void Release(std::uint64_t address, std::uint64_t size);

  std::uint64_t base() const { return base_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t free_bytes() const { return free_bytes_; }
  std::size_t free_block_count() const { return free_.size(); }

 private:
  std::uint64_t base_;
  std::uint64_t size_;
  std::uint64_t free_bytes_;
  std::map<std::uint64_t, std::uint64_t> free_;  // start address -> size
};

}  // namespace memledger::sim
