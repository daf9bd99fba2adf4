// bank_allocator.cc — lockstep interleaved allocation over a region's banks,
// and the allocator's snapshots at failures.
#include "sim/bank_allocator.h"

#include <stdexcept>

#include <fmt/format.h>

namespace memledger::sim {

BankAllocator::BankAllocator(const BankRegion& region, RegionPart part)
    : region_(region),
      managed_(ManagedRangeOf(region, part)),
      free_list_(managed_.start, managed_.size, region.placement) {
  if (region.banks == 0 || region.alignment == 0 || (region.alignment & (region.alignment - 1)) != 0) {
    throw std::invalid_argument(fmt::format("BankAllocator: region with {} banks and alignment {} is malformed",
                                            region.banks, region.alignment));
  }
  if (part.count == 0 || part.index >= part.count) {
    throw std::invalid_argument(fmt::format("BankAllocator: part {} of {} does not exist", part.index, part.count));
  }
}

std::uint64_t BankAllocator::CheckedFootprint(std::uint64_t size, std::uint64_t page_size) const {
  if (size == 0 || page_size == 0) {
    throw std::invalid_argument(fmt::format("BankAllocator::Allocate: size {} page size {}", size, page_size));
  }
  return BankFootprint(region_, size, page_size);
}

std::optional<std::uint64_t> BankAllocator::AllocateLocked(std::uint64_t footprint, const char* site) {
  const std::optional<std::uint64_t> address = free_list_.Allocate(footprint, region_.alignment);
  if (!address) return std::nullopt;
  live_.emplace(*address, Live{footprint, site});
  usage_.live_bytes += footprint * region_.banks;
  ++usage_.live_allocations;
  ++usage_.allocations;
  allocation_count_.store(usage_.allocations, std::memory_order_relaxed);
  return address;
}

void BankAllocator::CheckLiveLocked(std::uint64_t address) const {
  if (!live_.contains(address)) {
    throw std::logic_error(fmt::format("BankAllocator::Deallocate: nothing allocated at {:#x}", address));
  }
}

void BankAllocator::DeallocateLocked(std::uint64_t address) {
  const auto it = live_.find(address);
  free_list_.Release(address, it->second.footprint);
  usage_.live_bytes -= it->second.footprint * region_.banks;
  --usage_.live_allocations;
  ++usage_.deallocations;
  live_.erase(it);
}

bool BankAllocator::CbRegionFitsLocked(std::uint64_t region_end) const {
  const std::uint64_t limit = live_.empty() ? region_.base + region_.bank_size : live_.begin()->first;
  return region_end <= limit;
}

LiveBlock BankAllocator::BlockOf(std::uint64_t address, const Live& live) const {
  return {InterleavedAddress(region_, address), live.footprint * region_.banks, live.site};
}

RegionSnapshot BankAllocator::SnapshotLocked() const {
  const std::uint64_t banks = region_.banks;
  RegionSnapshot snapshot;
  snapshot.managed_start = InterleavedAddress(region_, managed_.start);
  snapshot.managed_size = managed_.size * banks;
  snapshot.free_bytes = free_list_.free_bytes() * banks;
  snapshot.largest_free_block = free_list_.largest_free_block() * banks;
  snapshot.hole_count = free_list_.free_block_count();
  for (const auto& [start, length] : free_list_.free_blocks()) {
    if (snapshot.holes.size() == kSnapshotListCap) break;
    snapshot.holes.push_back({InterleavedAddress(region_, start), length * banks});
  }
  snapshot.live_count = live_.size();
  snapshot.live_bytes = usage_.live_bytes;
  for (const auto& [address, live] : live_) {
    if (snapshot.live.size() == kSnapshotListCap) break;
    snapshot.live.push_back(BlockOf(address, live));
  }
  return snapshot;
}

RegionSnapshot BankAllocator::Snapshot() const {
  std::lock_guard lock(mutex_);
  return SnapshotLocked();
}

FailureTruth BankAllocator::FailureLocked(std::uint64_t footprint) const {
  FailureTruth failure;
  failure.sequence = NextFailureSequence();
  failure.type = region_.type;
  failure.extent = footprint * region_.banks;
  failure.verdict =
      free_list_.free_bytes() < footprint ? FailureVerdict::kExhausted : FailureVerdict::kFragmented;
  failure.region = SnapshotLocked();
  return failure;
}

FailureTruth BankAllocator::ClashLocked(std::uint64_t region_end) const {
  FailureTruth failure;
  failure.sequence = NextFailureSequence();
  failure.type = MemType::kCb;
  failure.size = (region_end - region_.base) * region_.banks;
  failure.verdict = live_.empty() ? FailureVerdict::kExhausted : FailureVerdict::kCbClash;
  failure.region = SnapshotLocked();
  failure.cb_region_end = InterleavedAddress(region_, region_end);
  for (auto it = live_.begin(); it != live_.end() && it->first < region_end; ++it) {
    ++failure.below_count;
    if (failure.below.size() < kSnapshotListCap) failure.below.push_back(BlockOf(it->first, it->second));
  }
  return failure;
}

RegionUsage BankAllocator::usage() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

}  // namespace memledger::sim
