// bank_allocator.cc — lockstep interleaved allocation over a region's banks.
#include "sim/bank_allocator.h"

#include <stdexcept>

#include <fmt/format.h>

namespace memledger::sim {

BankAllocator::BankAllocator(const BankRegion& region)
    : region_(region), free_list_(region.base, region.bank_size) {
  if (region.banks == 0 || region.alignment == 0 || (region.alignment & (region.alignment - 1)) != 0) {
    throw std::invalid_argument(fmt::format("BankAllocator: region with {} banks and alignment {} is malformed",
                                            region.banks, region.alignment));
  }
}

std::optional<std::uint64_t> BankAllocator::Allocate(std::uint64_t size, std::uint64_t page_size) {
  if (size == 0 || page_size == 0) {
    throw std::invalid_argument(fmt::format("BankAllocator::Allocate: size {} page size {}", size, page_size));
  }
  const std::uint64_t footprint = BankFootprint(region_, size, page_size);
  std::lock_guard lock(mutex_);
  const std::optional<std::uint64_t> address = free_list_.Allocate(footprint, region_.alignment);
  if (!address) return std::nullopt;
  live_.emplace(*address, Live{footprint, size});
  usage_.live_bytes += size;
  ++usage_.live_allocations;
  ++usage_.allocations;
  allocation_count_.store(usage_.allocations, std::memory_order_relaxed);
  return address;
}

void BankAllocator::Deallocate(std::uint64_t address) {
  std::lock_guard lock(mutex_);
  const auto it = live_.find(address);
  if (it == live_.end()) {
    throw std::logic_error(fmt::format("BankAllocator::Deallocate: nothing allocated at {:#x}", address));
  }
  free_list_.Release(address, it->second.footprint);
  usage_.live_bytes -= it->second.size;
  --usage_.live_allocations;
  ++usage_.deallocations;
  live_.erase(it);
}

RegionUsage BankAllocator::usage() const {
  std::lock_guard lock(mutex_);
  return usage_;
}

}  // namespace memledger::sim
