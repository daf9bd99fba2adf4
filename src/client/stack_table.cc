// stack_table.cc — see stack_table.h.
#include "client/stack_table.h"

#include <sys/mman.h>

#include <new>

namespace memledger {
namespace {
constexpr int kMaxProbe = 64;

std::uint64_t HashFrames(std::span<const std::uint64_t> frames) {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ frames.size();
  for (const std::uint64_t f : frames) {
    h ^= f;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  h ^= h >> 29;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 32;
  return h == 0 ? 1 : h;  // 0 marks an empty slot
}
}  // namespace

std::unique_ptr<StackTable> StackTable::Create(unsigned capacity_log2) {
  const std::uint64_t mask = (std::uint64_t{1} << capacity_log2) - 1;
  const std::size_t bytes = (mask + 1) * sizeof(Slot);
  // Anonymous memory is zero (every slot empty) and paged in only as used.
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  auto* table = new (std::nothrow) StackTable(static_cast<Slot*>(memory), mask, bytes);
  if (table == nullptr) munmap(memory, bytes);
  return std::unique_ptr<StackTable>(table);
}

StackTable::~StackTable() { munmap(slots_, bytes_); }

StackTable::Interned StackTable::Intern(std::span<const std::uint64_t> frames) {
  const std::uint64_t hash = HashFrames(frames);
  for (int probe = 0; probe < kMaxProbe; ++probe) {
    Slot& slot = slots_[(hash + static_cast<std::uint64_t>(probe)) & mask_];
    std::uint64_t seen = slot.hash.load(std::memory_order_acquire);
    if (seen == 0) {
      if (slot.hash.compare_exchange_strong(seen, hash, std::memory_order_acq_rel, std::memory_order_acquire)) {
        const std::uint32_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
        {
          std::lock_guard lock(frames_mutex_);
          if (frames_.size() <= id) frames_.resize(id + 1);
          frames_[id].assign(frames.begin(), frames.end());
        }
        // Release: pairs with the acquire load of a thread waiting for the id.
        slot.id.store(id, std::memory_order_release);
        return {id, true};
      }
      // Lost the race for this slot: `seen` now holds the winner's hash.
    }
    if (seen == hash) {
      std::uint32_t id;
      while ((id = slot.id.load(std::memory_order_acquire)) == 0) {
      }
      return {id, false};
    }
  }
  return {0, false};
}

std::vector<std::vector<std::uint64_t>> StackTable::Stacks() const {
  std::lock_guard lock(frames_mutex_);
  return frames_;
}

}  // namespace memledger
