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

void VmmTable::DropHandleReferenceLocked(std::uint64_t handle, std::vector<PhysicalAllocation>& ended,
                                         VmmDrops* drops) {
  auto it = handles_.find(handle);
  if (it == handles_.end()) return;
  const std::uint64_t buffer_id = it->second.buffer_id;
  if (drops != nullptr) drops->handle_references.push_back({handle, buffer_id});
  if (--it->second.count == 0) handles_.erase(it);
  auto physical = physicals_.find(buffer_id);
  if (physical == physicals_.end()) return;
  --physical->second.handle_references;
  EndIfUnreferencedLocked(physical, ended);
}

void VmmTable::DropMappingLocked(std::map<std::uint64_t, Mapping>::iterator mapping,
                                 std::vector<PhysicalAllocation>& ended, VmmDrops* drops) {
  const std::uint64_t buffer_id = mapping->second.buffer_id;
  if (drops != nullptr) drops->mappings.push_back({mapping->first, mapping->second.size, buffer_id});
  mappings_.erase(mapping);
  auto physical = physicals_.find(buffer_id);
  if (physical == physicals_.end()) return;
  --physical->second.mappings;
  EndIfUnreferencedLocked(physical, ended);
}

std::vector<PhysicalAllocation> VmmTable::Create(std::uint64_t handle, const PhysicalAllocation& allocation) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  while (handles_.contains(handle)) DropHandleReferenceLocked(handle, ended, nullptr);
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

std::vector<PhysicalAllocation> VmmTable::Release(std::uint64_t handle, VmmDrops* drops) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  DropHandleReferenceLocked(handle, ended, drops);
  if (drops != nullptr) drops->ended = ended;
  return ended;
}

std::vector<PhysicalAllocation> VmmTable::Map(std::uint64_t address, std::uint64_t size, std::uint64_t handle) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  if (auto stale = mappings_.find(address); stale != mappings_.end()) DropMappingLocked(stale, ended, nullptr);
  auto it = handles_.find(handle);
  if (it == handles_.end()) return ended;
  auto physical = physicals_.find(it->second.buffer_id);
  if (physical == physicals_.end()) return ended;
  ++physical->second.mappings;
  mappings_[address] = Mapping{size, it->second.buffer_id};
  return ended;
}

std::vector<PhysicalAllocation> VmmTable::Unmap(std::uint64_t address, std::uint64_t size, VmmDrops* drops) {
  std::vector<PhysicalAllocation> ended;
  std::lock_guard lock(mutex_);
  auto mapping = mappings_.lower_bound(address);
  while (mapping != mappings_.end() && mapping->first - address < size) {
    auto next = std::next(mapping);
    DropMappingLocked(mapping, ended, drops);
    mapping = next;
  }
  if (drops != nullptr) drops->ended = ended;
  return ended;
}

std::vector<PhysicalAllocation> VmmTable::Restore(const VmmDrops& drops) {
  std::vector<PhysicalAllocation> revived;
  std::lock_guard lock(mutex_);
  for (const PhysicalAllocation& allocation : drops.ended) {
    if (physicals_.try_emplace(allocation.buffer_id, Physical{allocation, 0, 0}).second) revived.push_back(allocation);
  }
  for (const VmmDrops::HandleReference& reference : drops.handle_references) {
    auto physical = physicals_.find(reference.buffer_id);
    if (physical == physicals_.end()) continue;
    auto [it, inserted] = handles_.try_emplace(reference.handle, HandleReferences{reference.buffer_id, 0});
    if (it->second.buffer_id != reference.buffer_id) continue;  // the value means another allocation now
    ++it->second.count;
    ++physical->second.handle_references;
  }
  for (const VmmDrops::MappingAt& mapping : drops.mappings) {
    auto physical = physicals_.find(mapping.buffer_id);
    if (physical == physicals_.end()) continue;
    if (!mappings_.try_emplace(mapping.address, Mapping{mapping.size, mapping.buffer_id}).second) continue;
    ++physical->second.mappings;
  }
  // One that got nothing back (its value or address went to another meanwhile) stays ended.
  std::erase_if(revived, [&](const PhysicalAllocation& allocation) {
    auto physical = physicals_.find(allocation.buffer_id);
    if (physical->second.handle_references != 0 || physical->second.mappings != 0) return false;
    physicals_.erase(physical);
    return true;
  });
  return revived;
}

}  // namespace memledger::cuda
