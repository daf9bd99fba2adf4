// free_space_map.h — FreeSpaceMap: which parts of one declared address space
// (memledger_address_space) live buffers cover, across every process that
// uses the device, and what that leaves free: free bytes, the holes, the
// largest free block. It knows ranges, not buffers; the ledger tells it.
//
// Representation: one bit per granule of the space (the allocator's
// bank-local alignment x banks, in the hooks' units), set while any live
// range covers part of it. A range occupies every granule it touches. A
// space of more than kMaxGranules granules is counted in coarser granules
// (doubled until it fits: `coarse()`), so its figures are rounded up to
// them. Cost: an occupy or a release writes footprint / granule bits (a
// word per 64 granules); figures scan the space's words once per change,
// cached until the next.
//
// Overlapping ranges: a bit does not count its holders, so a release
// inside a range another live range also covers would free the other's
// granules too. Occupy sees a range that lands on set bits and counts it;
// after any release while such ranges were seen, figures are `stale()`
// until the owner rebuilds the map from its live buffers (Clear, then
// Occupy each). Ranges outside the space are clipped to it.
//
// Not thread-safe: owned by one Ledger (its figures cache is mutable, like
// any const read of the ledger it is on the applying thread).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace memledger {

// One space's geometry, in the hooks' units (memledger.h): a buffer at
// bank-local offset o is hooked at base + o x banks.
struct SpaceGeometry {
  std::uint64_t base = 0;
  std::uint64_t size = 0;        // > 0; base + size does not overflow
  std::uint32_t banks = 1;       // >= 1
  std::uint32_t alignment = 1;   // bank-local, a power of two
  std::uint64_t end() const { return base + size; }
  bool operator==(const SpaceGeometry&) const = default;
};

// What a space's map says now. Blocks and holes in the hooks' units (per
// bank: divided by banks).
struct SpaceFigures {
  std::uint64_t free_bytes = 0;
  std::uint64_t holes = 0;               // maximal free runs
  std::uint64_t largest_free_block = 0;  // 0 when full
  std::uint64_t largest_free_start = 0;  // where it begins (meaningful when largest_free_block > 0)
};

class FreeSpaceMap {
 public:
  // Spaces larger than this many granules are counted in coarser ones (16 MiB of bits).
  static constexpr std::uint64_t kMaxGranules = std::uint64_t{1} << 27;

  explicit FreeSpaceMap(const SpaceGeometry& geometry);

  // [start, end) became live. False when it reaches outside the space (the
  // part inside is occupied).
  bool Occupy(std::uint64_t start, std::uint64_t end);
  // [start, end), occupied before, is live no more.
  void Release(std::uint64_t start, std::uint64_t end);
  // Every granule free again (before a rebuild).
  void Clear();

  // The figures now; a scan when anything changed since the last call.
  const SpaceFigures& Figures() const;
  // Where the lowest occupied granule begins; nullopt when the space is free.
  std::optional<std::uint64_t> LowestOccupied() const;
  // The free runs, lowest first, at most `limit` of them: (start, size).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> Holes(std::size_t limit) const;
  // A release happened while overlapping ranges were live: the figures may
  // show memory free that a live range still covers; rebuild.
  bool stale() const { return stale_; }
  bool coarse() const { return granule_ != std::uint64_t{geometry_.alignment} * geometry_.banks; }
  std::uint64_t granule() const { return granule_; }
  const SpaceGeometry& geometry() const { return geometry_; }

 private:
  // The granules [first, last) of [start, end) clipped to the space; false when it reaches outside.
  bool Granules(std::uint64_t start, std::uint64_t end, std::uint64_t* first, std::uint64_t* last) const;
  // offset / granule_: a shift when the granule is a power of two (a
  // division costs more than the rest of an occupy).
  std::uint64_t GranuleOf(std::uint64_t offset) const {
    return granule_shift_ >= 0 ? offset >> granule_shift_ : offset / granule_;
  }
  // The first granule at or after `from` whose bit is `occupied` (granules_ when none).
  std::uint64_t Next(std::uint64_t from, bool occupied) const;
  std::uint64_t GranuleBytes(std::uint64_t first, std::uint64_t last) const;

  SpaceGeometry geometry_;
  std::uint64_t granule_;
  int granule_shift_ = -1;  // log2(granule_) when it is a power of two
  std::uint64_t granules_;
  std::vector<std::uint64_t> bits_;  // 1: occupied; the bits past granules_ stay 1
  std::uint64_t overlapping_ = 0;    // occupies that landed on occupied granules, since the last Clear
  bool stale_ = false;
  std::uint64_t version_ = 1;
  mutable std::uint64_t figures_version_ = 0;
  mutable SpaceFigures figures_;
};

}  // namespace memledger
