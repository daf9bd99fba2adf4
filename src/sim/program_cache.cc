// program_cache.cc — LRU loading and eviction of kernel binaries.
#include "sim/program_cache.h"

#include <iterator>
#include <optional>

#include "sim/program.h"

namespace memledger::sim {

ProgramCache::ProgramCache(Device& device) : device_(device) {}

bool ProgramCache::EnsureLoaded(const Program& program) {
  std::lock_guard lock(mutex_);
  if (const auto hit = by_name_.find(program.name()); hit != by_name_.end()) {
    programs_.splice(programs_.begin(), programs_, hit->second);
    return true;
  }
  Entry entry{program.name(), {}};
  for (const KernelSpec& kernel : program.kernels()) {
    std::optional<Allocation> binary;
    // Full while programs can still be evicted is not a failure anyone sees: quiet.
    while (!(binary = device_.Allocate(MemType::kKernel, AllocationKind::kKernelBinary, kernel.binary_size,
                                       kernel.binary_size, programs_.empty() ? OnFailure::kBook : OnFailure::kQuiet))) {
      if (programs_.empty()) {
        for (const Allocation& loaded : entry.binaries) device_.Release(loaded);
        return false;
      }
      EvictLocked(std::prev(programs_.end()));
    }
    entry.binaries.push_back(*binary);
  }
  programs_.push_front(std::move(entry));
  by_name_.emplace(program.name(), programs_.begin());
  return true;
}

void ProgramCache::Clear() {
  std::lock_guard lock(mutex_);
  while (!programs_.empty()) EvictLocked(programs_.begin());
}

std::size_t ProgramCache::size() const {
  std::lock_guard lock(mutex_);
  return programs_.size();
}

void ProgramCache::EvictLocked(std::list<Entry>::iterator entry) {
  for (const Allocation& binary : entry->binaries) device_.Release(binary);
  by_name_.erase(entry->name);
  programs_.erase(entry);
}

}  // namespace memledger::sim
