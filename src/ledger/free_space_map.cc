// free_space_map.cc — see free_space_map.h.
#include "ledger/free_space_map.h"

#include <algorithm>
#include <bit>

namespace memledger {
namespace {

constexpr std::uint64_t kAllOnes = ~std::uint64_t{0};

// The bits [from, to) of a word (to <= 64, from < to).
std::uint64_t BitRange(std::uint64_t from, std::uint64_t to) {
  const std::uint64_t upper = to == 64 ? kAllOnes : (std::uint64_t{1} << to) - 1;
  return upper & ~((std::uint64_t{1} << from) - 1);
}

}  // namespace

FreeSpaceMap::FreeSpaceMap(const SpaceGeometry& geometry)
    : geometry_(geometry), granule_(std::uint64_t{geometry.alignment} * geometry.banks) {
  granules_ = (geometry_.size + granule_ - 1) / granule_;
  while (granules_ > kMaxGranules) {
    granule_ *= 2;
    granules_ = (geometry_.size + granule_ - 1) / granule_;
  }
  if (std::has_single_bit(granule_)) granule_shift_ = std::countr_zero(granule_);
  bits_.assign((granules_ + 63) / 64, 0);
  Clear();
}

void FreeSpaceMap::Clear() {
  std::fill(bits_.begin(), bits_.end(), 0);
  if (granules_ % 64 != 0) bits_.back() = ~BitRange(0, granules_ % 64);
  overlapping_ = 0;
  stale_ = false;
  ++version_;
}

[[gnu::always_inline]] inline bool FreeSpaceMap::Granules(std::uint64_t start, std::uint64_t end,
                                                           std::uint64_t* first, std::uint64_t* last) const {
  const bool inside = start >= geometry_.base && end <= geometry_.end() && start < end;
  const std::uint64_t from = std::clamp(start, geometry_.base, geometry_.end()) - geometry_.base;
  const std::uint64_t to = std::clamp(end, geometry_.base, geometry_.end()) - geometry_.base;
  *first = GranuleOf(from);
  *last = to <= from ? *first : GranuleOf(to - 1) + 1;
  return inside;
}

bool FreeSpaceMap::Occupy(std::uint64_t start, std::uint64_t end) {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  const bool inside = Granules(start, end, &first, &last);
  std::uint64_t landed = 0;
  for (std::uint64_t g = first; g < last;) {
    const std::uint64_t word = g / 64;
    const std::uint64_t to = std::min<std::uint64_t>(last - word * 64, 64);
    const std::uint64_t mask = BitRange(g % 64, to);
    landed |= bits_[word] & mask;
    bits_[word] |= mask;
    g = word * 64 + to;
  }
  if (landed != 0) ++overlapping_;
  ++version_;
  return inside;
}

void FreeSpaceMap::Release(std::uint64_t start, std::uint64_t end) {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
  Granules(start, end, &first, &last);
  for (std::uint64_t g = first; g < last;) {
    const std::uint64_t word = g / 64;
    const std::uint64_t to = std::min<std::uint64_t>(last - word * 64, 64);
    bits_[word] &= ~BitRange(g % 64, to);
    g = word * 64 + to;
  }
  if (overlapping_ != 0) stale_ = true;
  ++version_;
}

std::uint64_t FreeSpaceMap::Next(std::uint64_t from, bool occupied) const {
  std::uint64_t word = from / 64;
  if (word >= bits_.size()) return granules_;
  // Look for set bits in the word (or in its complement, for a free granule).
  std::uint64_t w = (occupied ? bits_[word] : ~bits_[word]) & ~((std::uint64_t{1} << (from % 64)) - 1);
  while (w == 0) {
    if (++word >= bits_.size()) return granules_;
    w = occupied ? bits_[word] : ~bits_[word];
  }
  return std::min(granules_, word * 64 + static_cast<std::uint64_t>(std::countr_zero(w)));
}

std::uint64_t FreeSpaceMap::GranuleBytes(std::uint64_t first, std::uint64_t last) const {
  // The last granule may reach past the space's end: count only what is in it.
  return std::min(last * granule_, geometry_.size) - first * granule_;
}

const SpaceFigures& FreeSpaceMap::Figures() const {
  if (figures_version_ == version_) return figures_;
  SpaceFigures figures;
  for (std::uint64_t g = Next(0, false); g < granules_;) {
    const std::uint64_t end = Next(g, true);
    const std::uint64_t bytes = GranuleBytes(g, end);
    figures.free_bytes += bytes;
    ++figures.holes;
    if (bytes > figures.largest_free_block) {
      figures.largest_free_block = bytes;
      figures.largest_free_start = geometry_.base + g * granule_;
    }
    g = end < granules_ ? Next(end, false) : granules_;
  }
  figures_ = figures;
  figures_version_ = version_;
  return figures_;
}

std::optional<std::uint64_t> FreeSpaceMap::LowestOccupied() const {
  const std::uint64_t g = Next(0, true);
  if (g >= granules_) return std::nullopt;
  return geometry_.base + g * granule_;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> FreeSpaceMap::Holes(std::size_t limit) const {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> holes;
  for (std::uint64_t g = Next(0, false); g < granules_ && holes.size() < limit;) {
    const std::uint64_t end = Next(g, true);
    holes.emplace_back(geometry_.base + g * granule_, GranuleBytes(g, end));
    g = end < granules_ ? Next(end, false) : granules_;
  }
  return holes;
}

}  // namespace memledger
