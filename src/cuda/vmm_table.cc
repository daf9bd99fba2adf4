// vmm_table.cc — see vmm_table.h.
#include "cuda/vmm_table.h"

#include <iterator>

namespace memledger::cuda {

void VmmTable::EndIfUnreferencedLocked(std::unordered_map<std::uint64_t, Physical>::iterator physical,
                                       std::vector<PhysicalAllocation>& ended) {
  if (physical->second.handle_references != 0 || physical->second.mappings != 0) return;
  ended.push_back(physical->second.allocation);
  physicals_.erase(physical);
}

void VmmTable::DropHandleReferenceLocked(std::uint64_t handle, std::vector<PhysicalAllocation>& ended) {
  auto it = handles_.find(handle);
  if (it == handles_.end()) return;
  const std::uint64_t buffer_id = it->second.buffer_id;
  if (--it->second.count == 0) handles_.erase(it);
  auto physical = physicals_.find(buffer_id);
  if (physical == physicals_.end()) return;
  --physical->second.handle_references;
  EndIfUnreferencedLocked(physical, ended);
}

void VmmTable::DropMappingLocked(std::map<std::uint64_t, Mapping>::iterator mapping,
                                 std::vector<PhysicalAllocation>& ended) {
  const std::uint64_t buffer_id = mapping->second.buffer_id;
  mappings_.erase(mapping);
  auto physical = physicals_.find(buffer_id);
  if (physical == physicals_.end()) return;
  --physical->second.mappings;
  EndIfUnreferencedLocked(physical, ended);
}

std::vector<PhysicalAllocation> VmmTable::Create(std::uint64_t handle, const PhysicalAllocation& allocation) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  while (handles_.contains(handle)) DropHandleReferenceLocked(handle, ended);
  physicals_[allocation.buffer_id] = Physical{allocation, 1, 0};
  handles_[handle] = HandleReferences{allocation.buffer_id, 1};
  return ended;
}

bool VmmTable::Retain(std::uint64_t handle, std::uint64_t address) {
  std::lock_guard lock(mutex_);
  auto mapping = mappings_.upper_bound(address);
  if (mapping == mappings_.begin()) return false;
  --mapping;
  if (address - mapping->first >= mapping->second.size) return false;
  auto physical = physicals_.find(mapping->second.buffer_id);
  if (physical == physicals_.end()) return false;
  auto [it, inserted] = handles_.try_emplace(handle, HandleReferences{mapping->second.buffer_id, 0});
  if (it->second.buffer_id != mapping->second.buffer_id) return false;  // the driver would not do that
  ++it->second.count;
  ++physical->second.handle_references;
  return true;
}

std::vector<PhysicalAllocation> VmmTable::Release(std::uint64_t handle) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  DropHandleReferenceLocked(handle, ended);
  return ended;
}

std::vector<PhysicalAllocation> VmmTable::Map(std::uint64_t address, std::uint64_t size, std::uint64_t handle) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  if (auto stale = mappings_.find(address); stale != mappings_.end()) DropMappingLocked(stale, ended);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return ended;
  auto physical = physicals_.find(it->second.buffer_id);
  if (physical == physicals_.end()) return ended;
  ++physical->second.mappings;
  mappings_[address] = Mapping{size, it->second.buffer_id};
  return ended;
}

std::vector<PhysicalAllocation> VmmTable::Unmap(std::uint64_t address, std::uint64_t size) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  auto mapping = mappings_.lower_bound(address);
  while (mapping != mappings_.end() && mapping->first - address < size) {
    auto next = std::next(mapping);
    DropMappingLocked(mapping, ended);
    mapping = next;
  }
  return ended;
}

}  // namespace memledger::cuda
