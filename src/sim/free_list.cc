// free_list.cc — bottom-up and top-down first-fit search and coalescing
// release for FreeList.
#include "sim/free_list.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace memledger::sim {
namespace {

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

std::uint64_t AlignDown(std::uint64_t value, std::uint64_t alignment) { return value & ~(alignment - 1); }

}  // namespace

FreeList::FreeList(std::uint64_t base, std::uint64_t size, Placement placement)
    : base_(base), size_(size), placement_(placement), free_bytes_(size) {
  if (size > 0) free_.emplace(base, size);
}

std::optional<std::uint64_t> FreeList::Allocate(std::uint64_t size, std::uint64_t alignment) {
  if (size == 0) throw std::invalid_argument("FreeList::Allocate: size 0");
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw std::invalid_argument(fmt::format("FreeList::Allocate: alignment {} is not a power of two", alignment));
  }
  // Where in the free block [start, start + length) the request goes, if it fits.
  const auto place = [&](std::uint64_t start, std::uint64_t length) -> std::optional<std::uint64_t> {
    if (length < size) return std::nullopt;
    const std::uint64_t address =
        placement_ == Placement::kBottomUp ? AlignUp(start, alignment) : AlignDown(start + length - size, alignment);
    if (address < start || address - start > length - size) return std::nullopt;
    return address;
  };
  const auto take = [&](std::map<std::uint64_t, std::uint64_t>::iterator it, std::uint64_t address) {
    const auto [start, length] = *it;
    const std::uint64_t padding = address - start;
    const std::uint64_t tail = length - padding - size;
    free_.erase(it);
    if (padding > 0) free_.emplace(start, padding);
    if (tail > 0) free_.emplace(address + size, tail);
    free_bytes_ -= size;
    return address;
  };
  if (placement_ == Placement::kBottomUp) {
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (const std::optional<std::uint64_t> address = place(it->first, it->second)) return take(it, *address);
    }
  } else {
    for (auto it = free_.end(); it != free_.begin();) {
      --it;
      if (const std::optional<std::uint64_t> address = place(it->first, it->second)) return take(it, *address);
    }
  }
  return std::nullopt;
}

std::uint64_t FreeList::largest_free_block() const {
  std::uint64_t largest = 0;
  for (const auto& [start, length] : free_) largest = std::max(largest, length);
  return largest;
}

void FreeList::Release(std::uint64_t address, std::uint64_t size) {
  if (size == 0 || address < base_ || address - base_ > size_ || size > size_ - (address - base_)) {
    throw std::invalid_argument(
        fmt::format("FreeList::Release: [{:#x}, +{}) is outside [{:#x}, +{})", address, size, base_, size_));
  }
  auto next = free_.lower_bound(address);
  if (next != free_.end() && next->first < address + size) {
    throw std::logic_error(fmt::format("FreeList::Release: [{:#x}, +{}) is already free", address, size));
  }
  std::uint64_t start = address;
  std::uint64_t length = size;
  if (next != free_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second > address) {
      throw std::logic_error(fmt::format("FreeList::Release: [{:#x}, +{}) is already free", address, size));
    }
    if (prev->first + prev->second == address) {
      start = prev->first;
      length += prev->second;
      free_.erase(prev);
    }
  }
  if (next != free_.end() && next->first == address + size) {
    length += next->second;
    free_.erase(next);
  }
  free_.emplace(start, length);
  free_bytes_ += size;
}

}  // namespace memledger::sim
