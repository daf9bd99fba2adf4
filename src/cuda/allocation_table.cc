// allocation_table.cc — see allocation_table.h.
#include "cuda/allocation_table.h"

namespace memledger::cuda {

AllocationTable::Shard& AllocationTable::ShardOf(std::uint64_t address) {
  // Device allocations are aligned to 256 bytes or more: mix the bits above,
  // and take the top 6 bits of the product.
  static_assert(kShards == 64);
  const std::uint64_t mixed = (address >> 8) * 0x9e3779b97f4a7c15ull;
  return shards_[mixed >> 58];
}

std::optional<BookedBuffer> AllocationTable::Insert(std::uint64_t address, const BookedBuffer& buffer) {
  Shard& shard = ShardOf(address);
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.buffers.try_emplace(address, buffer);
  if (inserted) return std::nullopt;
  const BookedBuffer replaced = it->second;
  it->second = buffer;
  return replaced;
}

std::optional<BookedBuffer> AllocationTable::Remove(std::uint64_t address) {
  Shard& shard = ShardOf(address);
  std::lock_guard lock(shard.mutex);
  auto it = shard.buffers.find(address);
  if (it == shard.buffers.end()) return std::nullopt;
  const BookedBuffer removed = it->second;
  shard.buffers.erase(it);
  return removed;
}

}  // namespace memledger::cuda
