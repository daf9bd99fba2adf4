// failure_truth.h — FailureTruth: what the simulated runtime itself knows at
// an allocation failure (a region that could not place a request, or a
// program whose circular buffers clash with L1 buffers): the request as
// hooked (memledger_alloc_failed), the allocator's verdict, its free space and
// the live blocks that hold the rest. The Truth lists them (truth.h).
//
// Units: the hooks' (memledger.h, memledger_address_space): an address is
// InterleavedAddress(region, bank-local address), a size is bank-local bytes
// x banks.
//
// Thread-safety: plain values; NextFailureSequence is thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "memledger/memledger.hpp"

namespace memledger::sim {

// How many holes and live blocks a RegionSnapshot keeps (the lowest
// addresses first); the counts say how many there were.
inline constexpr std::size_t kSnapshotListCap = 256;
// How many failures a device, and the Truth, keep (the first ones).
inline constexpr std::size_t kFailuresKept = 1024;

enum class FailureVerdict : std::uint8_t {
  kExhausted,   // less free than the request's footprint
  kFragmented,  // enough free in all, no free block large enough
  kCbClash,     // a program's circular buffers would reach the lowest live L1 buffer
};
const char* VerdictName(FailureVerdict verdict);  // "exhausted", "fragmented", "cb_clash"

struct LiveBlock {
  std::uint64_t address;
  std::uint64_t size;  // footprint x banks: what its alloc hook passed
  const char* site;    // the workload function that allocated it (allocation_site.h); "" unknown
};

struct Hole {
  std::uint64_t start;
  std::uint64_t size;
};

// One region of one device at one instant, as its allocator sees it. With
// --l1-partition the allocator manages only part of the region (`managed`);
// then free_bytes + Σ live sizes = managed_size.
struct RegionSnapshot {
  std::uint64_t managed_start = 0;
  std::uint64_t managed_size = 0;
  std::uint64_t free_bytes = 0;
  std::uint64_t largest_free_block = 0;
  std::uint64_t hole_count = 0;  // free blocks
  std::vector<Hole> holes;       // the first kSnapshotListCap, in address order
  std::uint64_t live_count = 0;
  std::uint64_t live_bytes = 0;  // Σ size of every live block (also those not listed)
  std::vector<LiveBlock> live;   // the first kSnapshotListCap, in address order
};

struct FailureTruth {
  std::uint64_t sequence = 0;  // NextFailureSequence(): the order failures happened in the process
  std::uint32_t device = 0;
  MemType type = MemType::kDram;  // kCb for a clash
  std::uint64_t size = 0;         // as hooked
  std::uint64_t extent = 0;       // as hooked (0: the same as size)
  FailureVerdict verdict = FailureVerdict::kExhausted;
  RegionSnapshot region;  // the region that failed; for a clash, L1
  // kCbClash only: where the program's CB region ends and the live L1 blocks
  // below that end (the first kSnapshotListCap; below_count says how many).
  std::uint64_t cb_region_end = 0;
  std::uint64_t below_count = 0;
  std::vector<LiveBlock> below;
};

// A process-wide increasing number for the next failure.
std::uint64_t NextFailureSequence();

}  // namespace memledger::sim
