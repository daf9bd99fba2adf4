// free_list.cc — first-fit search and coalescing release for FreeList.
#include "sim/free_list.h"

#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace memledger::sim {
namespace {

std::uint64_t AlignUp(std::uint64_t value, std::uint64_t alignment) {
  return (value + alignment - 1) & ~(alignment - 1);
}

}  // namespace

FreeList::FreeList(std::uint64_t base, std::uint64_t size) : base_(base), size_(size), free_bytes_(size) {
  if (size > 0) free_.emplace(base, size);
}

std::optional<std::uint64_t> FreeList::Allocate(std::uint64_t size, std::uint64_t alignment) {
  if (size == 0) throw std::invalid_argument("FreeList::Allocate: size 0");
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    throw std::invalid_argument(fmt::format("FreeList::Allocate: alignment {} is not a power of two", alignment));
  }
  for (auto it = free_.begin(); it != free_.end(); ++it) {
    const auto [start, length] = *it;
    const std::uint64_t address = AlignUp(start, alignment);
    const std::uint64_t padding = address - start;
    if (padding > length || length - padding < size) continue;
    const std::uint64_t tail = length - padding - size;
    free_.erase(it);
    if (padding > 0) free_.emplace(start, padding);
    if (tail > 0) free_.emplace(address + size, tail);
    free_bytes_ -= size;
    return address;
  }
  return std::nullopt;
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
