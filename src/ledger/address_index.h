// address_index.h — the address index of one (process, device, memory type,
// buffer class): ranges ordered by start address, to find the live buffers
// that intersect a new one.
//
// Lazy removal: a free does not touch the index (that would cost a search per
// free). A stale entry stays until an allocation reuses or covers it, or a
// compaction drops it. Whether an entry is live is asked of the live table
// through `Lookup`, so a stale entry is never mistaken for a live one.
// Buffers that took part in an overlap are the exception: their entries are
// erased when they are released (Erase), which is rare and keeps this true:
// Invariants, after every Insert and Erase:
//   - each live buffer of this index has exactly one entry;
//   - no stale entry lies inside a live range: a range inserted over stale
//     entries drops them, and a stale entry inside a live range would have
//     overlapped it while live, so it was erased eagerly;
//   - stale entries <= live entries + kCompactSlack.
// So only the nearest entry before a new range can reach into it.
//
// Not thread-safe: owned by one Ledger.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/functional/function_ref.h>

#include <cstdint>

#include "ledger/live_buffers.h"

namespace memledger {

class AddressIndex {
 public:
  // The live buffer with `identity`, when it is live in this index at
  // `address`; else nullptr.
  using Lookup = absl::FunctionRef<LiveBuffer*(std::uint64_t identity, std::uint64_t address)>;
  // Called with each live buffer a new range intersects, and its identity.
  using OnOverlap = absl::FunctionRef<void(std::uint64_t identity, LiveBuffer& older)>;

  // Adds the live range [address, end) of `identity` (already in the live table).
  void Insert(std::uint64_t address, std::uint64_t end, std::uint64_t identity, Lookup lookup, OnOverlap on_overlap);
  // A live range of this index was freed, replaced or leaked: its entry stays
  // until reused, covered or compacted away.
  void Released() { --live_; }
  // The same, for a range that took part in an overlap: its entry goes now.
  void Erase(std::uint64_t address, std::uint64_t identity);
  std::size_t live() const { return live_; }
  // Entries for which `is_live(identity, address)` holds (for validation). O(entries).
  std::size_t CountLive(absl::FunctionRef<bool(std::uint64_t identity, std::uint64_t address)> is_live) const;

 private:
  struct Range {
    std::uint64_t end;
    std::uint64_t identity;
  };
  using Ranges = absl::btree_multimap<std::uint64_t, Range>;
  void Compact(Lookup lookup);

  Ranges ranges_;
  std::size_t live_ = 0;
};

}  // namespace memledger
