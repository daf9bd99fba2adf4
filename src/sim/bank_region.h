// bank_region.h — BankRegion: the geometry of one banked memory region of a
// device (DRAM banks, the L1 of every core, ...) and the interleaving rule that
// maps a buffer's pages onto its banks.
//
// Interleaving: page i of a buffer lives in bank i % banks at bank-local
// address `address + (i / banks) * page_size`. Banks allocate in lockstep, so
// a buffer has one bank-local address and occupies BankFootprint() bytes in
// every bank. A region with one bank is a single address space; the KERNEL
// region is modelled that way because every core holds the same layout (a
// kernel binary sits at one address on all cores). Circular buffers have no
// region of their own: they are laid out in L1 (cb_layout.h).
//
// The banks together also form one interleaved (logical) address space of
// capacity() bytes: InterleavedAddress() maps a bank-local address into it.
// There a buffer occupies [InterleavedAddress(address), + size), and buffers
// that are disjoint in the banks are disjoint there too. (With page-aligned
// bank addresses it is the exact interleaving: logical page n is page n / banks
// of bank n % banks.)
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>

#include "memledger/memledger.hpp"
#include "sim/placement.h"

namespace memledger::sim {

struct BankRegion {
  MemType type;
  std::uint64_t base;       // bank-local address of the region's first byte
  std::uint64_t bank_size;  // bytes of the region in each bank
  std::uint32_t banks;
  std::uint32_t alignment;  // power of two; bank-local addresses and footprints are multiples of it
  Placement placement = Placement::kBottomUp;

  // What the region holds in all banks together; reported at device open.
  std::uint64_t capacity() const { return bank_size * banks; }
};

// Which of `count` equal parts of each banked region this process's
// allocators manage (--l1-partition I/N): processes that share one device
// each take a part, so their buffers never overlap, while each declares the
// whole region. Part i is bank-local [base + i x part, + part), part =
// bank_size / count rounded down to the alignment; a remainder stays unused.
// Regions with one bank are not split.
struct RegionPart {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
};

struct ManagedRange {
  std::uint64_t start;  // bank-local
  std::uint64_t size;   // bytes per bank
};

inline ManagedRange ManagedRangeOf(const BankRegion& region, RegionPart part) {
  if (region.banks == 1 || part.count <= 1) return {region.base, region.bank_size};
  const std::uint64_t size = region.bank_size / part.count & ~static_cast<std::uint64_t>(region.alignment - 1);
  return {region.base + part.index * size, size};
}

struct PageLocation {
  std::uint32_t bank;
  std::uint64_t address;  // bank-local
};

// Pages the fullest bank holds for a buffer of `size` bytes in `page_size` pages.
inline std::uint64_t PagesPerBank(std::uint64_t size, std::uint64_t page_size, std::uint32_t banks) {
  const std::uint64_t pages = (size + page_size - 1) / page_size;
  return (pages + banks - 1) / banks;
}

// Bytes such a buffer reserves in every bank (lockstep), aligned to the region.
inline std::uint64_t BankFootprint(const BankRegion& region, std::uint64_t size, std::uint64_t page_size) {
  const std::uint64_t bytes = PagesPerBank(size, page_size, region.banks) * page_size;
  return (bytes + region.alignment - 1) & ~static_cast<std::uint64_t>(region.alignment - 1);
}

// Where page `page` of a buffer at bank-local `address` lives.
inline PageLocation LocatePage(const BankRegion& region, std::uint64_t address, std::uint64_t page_size,
                               std::uint64_t page) {
  return {static_cast<std::uint32_t>(page % region.banks), address + (page / region.banks) * page_size};
}

// The logical address of bank-local `address` in the region's interleaved
// address space: base + (address - base) * banks.
inline std::uint64_t InterleavedAddress(const BankRegion& region, std::uint64_t address) {
  return region.base + (address - region.base) * region.banks;
}

}  // namespace memledger::sim
