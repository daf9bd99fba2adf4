// free_list.h — FreeList: a first-fit allocator over one address range, with
// coalescing on release and a Placement: bottom-up (the lowest block that
// fits, at its bottom) or top-down (the highest block that fits, at its top).
// It owns only the bookkeeping of which sub-ranges are free; it knows nothing
// of banks, pages, devices or hooks.
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

#include "sim/placement.h"

namespace memledger::sim {

class FreeList {
 public:
  FreeList(std::uint64_t base, std::uint64_t size, Placement placement = Placement::kBottomUp);

  // Where `size` bytes at `alignment` (a power of two) go; nullopt when no
  // block holds them (out of memory). Bottom-up: the lowest aligned address
  // of the lowest block that fits (the padding in front stays free).
  // Top-down: the highest aligned address that ends inside the highest block
  // that fits (the slack above stays free).
  std::optional<std::uint64_t> Allocate(std::uint64_t size, std::uint64_t alignment);

  // Returns [address, address + size) to the free list, merging it with its
  // free neighbours. The range must have come from Allocate and not be free.
  void Release(std::uint64_t address, std::uint64_t size);

  std::uint64_t base() const { return base_; }
  std::uint64_t size() const { return size_; }
  std::uint64_t free_bytes() const { return free_bytes_; }
  std::size_t free_block_count() const { return free_.size(); }
  // The size of the largest free block (0 when full).
  std::uint64_t largest_free_block() const;
  // The free blocks, start address -> size, in address order.
  const std::map<std::uint64_t, std::uint64_t>& free_blocks() const { return free_; }

 private:
  std::uint64_t base_;
  std::uint64_t size_;
  Placement placement_;
  std::uint64_t free_bytes_;
  std::map<std::uint64_t, std::uint64_t> free_;  // start address -> size
};

}  // namespace memledger::sim
