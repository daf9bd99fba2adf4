// allocation_failure.cc — see allocation_failure.h.
#include "ledger/allocation_failure.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <limits>
#include <tuple>

namespace memledger {
namespace {

// Live bytes of `blocks` (sorted by start) inside [from, to), with
// `prefix[i]` the lengths of blocks [0, i) summed.
std::uint64_t LiveBytesIn(const std::vector<SpaceBlock>& blocks, const std::vector<std::uint64_t>& prefix,
                          std::uint64_t from, std::uint64_t to) {
  const auto by_start = [](const SpaceBlock& b, std::uint64_t at) { return b.start < at; };
  std::size_t first = std::lower_bound(blocks.begin(), blocks.end(), from, by_start) - blocks.begin();
  const std::size_t last = std::lower_bound(blocks.begin(), blocks.end(), to, by_start) - blocks.begin();
  std::uint64_t bytes = 0;
  if (first > 0 && blocks[first - 1].end > from) bytes += std::min(blocks[first - 1].end, to) - from;
  if (first < last) {
    bytes += prefix[last] - prefix[first];
    if (blocks[last - 1].end > to) bytes -= blocks[last - 1].end - to;
  }
  return bytes;
}

// The start of the window of `extent` bytes in `space` that holds the
// fewest live bytes: one that begins at a hole's start or ends at a hole's
// end (a cheapest window has an edge at a hole's). nullopt when none fits.
std::optional<std::uint64_t> CheapestWindow(const FreeSpaceMap& space, const std::vector<SpaceBlock>& blocks,
                                            std::uint64_t extent) {
  const SpaceGeometry& geometry = space.geometry();
  if (extent == 0 || extent > geometry.size) return std::nullopt;
  std::vector<std::uint64_t> prefix(blocks.size() + 1, 0);
  for (std::size_t i = 0; i < blocks.size(); ++i) prefix[i + 1] = prefix[i] + (blocks[i].end - blocks[i].start);
  std::optional<std::uint64_t> best;
  std::uint64_t best_bytes = std::numeric_limits<std::uint64_t>::max();
  const auto consider = [&](std::uint64_t start) {
    start = std::clamp(start, geometry.base, geometry.end() - extent);
    const std::uint64_t bytes = LiveBytesIn(blocks, prefix, start, start + extent);
    if (bytes < best_bytes) {
      best_bytes = bytes;
      best = start;
    }
  };
  for (const auto& [start, size] : space.Holes(std::numeric_limits<std::size_t>::max())) {
    consider(start);
    consider(start + size >= extent ? start + size - extent : geometry.base);
  }
  return best;
}

void FindHolders(AllocationFailure& failure, const std::vector<SpaceBlock>& blocks) {
  absl::flat_hash_map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, FailureHolder> sites;
  for (const SpaceBlock& block : blocks) {
    FailureHolder& holder = sites[{block.process, block.stack, block.tag}];
    holder.process = block.process;
    holder.stack = block.stack;
    holder.tag = block.tag;
    holder.bytes += block.end - block.start;
    ++holder.buffers;
  }
  std::vector<FailureHolder> holders;
  holders.reserve(sites.size());
  for (const auto& [key, holder] : sites) holders.push_back(holder);
  // Largest first; ties in a fixed order, so a report does not depend on hashing.
  std::sort(holders.begin(), holders.end(), [](const FailureHolder& a, const FailureHolder& b) {
    return std::tie(b.bytes, a.process, a.stack, a.tag) < std::tie(a.bytes, b.process, b.stack, b.tag);
  });
  failure.more_holders = holders.size() > kMaxHolders ? holders.size() - kMaxHolders : 0;
  holders.resize(std::min(holders.size(), kMaxHolders));
  failure.holders = std::move(holders);
}

// The blocks intersecting [from, to), lowest first, at most kMaxBlockers.
void NameBlockers(AllocationFailure& failure, const std::vector<SpaceBlock>& blocks, std::uint64_t from,
                  std::uint64_t to) {
  for (const SpaceBlock& block : blocks) {
    if (block.end <= from || block.start >= to) continue;
    if (failure.blockers.size() < kMaxBlockers) {
      failure.blockers.push_back(FailureBlocker{block, {}});
    } else {
      ++failure.more_blockers;
    }
  }
}

}  // namespace

std::string_view FailureVerdictName(FailureVerdict verdict) {
  switch (verdict) {
    case FailureVerdict::kExhausted: return "exhausted";
    case FailureVerdict::kFragmented: return "fragmented";
    case FailureVerdict::kCbClash: return "cb_clash";
    case FailureVerdict::kUnexplained: return "unexplained";
    case FailureVerdict::kNoAddressSpace: return "no_address_space";
  }
  return "unknown";
}

std::string_view FailureVerdictMeaning(FailureVerdict verdict) {
  switch (verdict) {
    case FailureVerdict::kExhausted: return "less was free than the request needed";
    case FailureVerdict::kFragmented: return "enough was free in all, but no free block was large enough";
    case FailureVerdict::kCbClash:
      return "the program's circular buffers would reach live buffers placed from the top down";
    case FailureVerdict::kUnexplained:
      return "the books show a free block large enough: memory they do not see (an allocation without hooks, "
             "the allocator's own reserve) holds it";
    case FailureVerdict::kNoAddressSpace:
      return "enough was free by the books; the type declared no address space, so fragmentation cannot be told";
  }
  return "";
}

FailureVerdict Judge(const AllocationFailure& failure, const FreeSpaceMap* space) {
  if (space == nullptr) {
    const bool short_of_room = failure.capacity != 0 && (failure.live_bytes >= failure.capacity ||
                                                         failure.capacity - failure.live_bytes < failure.extent);
    return short_of_room ? FailureVerdict::kExhausted : FailureVerdict::kNoAddressSpace;
  }
  if (failure.region_end != 0) {  // circular buffers from the base of their space up
    const auto lowest = space->LowestOccupied();
    if (lowest && *lowest < failure.region_end) return FailureVerdict::kCbClash;
    return failure.region_end > space->geometry().end() ? FailureVerdict::kExhausted : FailureVerdict::kUnexplained;
  }
  if (failure.figures.free_bytes < failure.extent) return FailureVerdict::kExhausted;
  if (failure.figures.largest_free_block >= failure.extent) return FailureVerdict::kUnexplained;
  return FailureVerdict::kFragmented;
}

void Explain(AllocationFailure& failure, const FreeSpaceMap* space, const std::vector<SpaceBlock>& blocks) {
  FindHolders(failure, blocks);
  failure.blockers.clear();
  failure.more_blockers = 0;
  if (space == nullptr) return;
  if (failure.verdict == FailureVerdict::kCbClash) {
    NameBlockers(failure, blocks, space->geometry().base, failure.region_end);
  } else if (failure.verdict == FailureVerdict::kFragmented) {
    if (const auto window = CheapestWindow(*space, blocks, failure.extent)) {
      failure.window_start = *window;
      NameBlockers(failure, blocks, *window, *window + failure.extent);
    }
  }
}

}  // namespace memledger
