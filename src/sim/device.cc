// device.cc — device open/close reporting and the hook placement around the
// allocators.
#include "sim/device.h"

#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "memledger/memledger.h"
#include "sim/late_free_window.h"
#include "sim/object_id.h"
#include "sim/program_cache.h"

namespace memledger::sim {
namespace {

// Under HookOrder::kLateFree, how long a releasing thread waits for another
// thread to allocate from the same region before it runs the (late) free hook:
// this many checks of the region's allocation count (a few microseconds of
// spinning), then one yield to let a thread waiting for this core run. Bounded,
// so a thread alone on its region pays only that much per free. How far the
// other threads may get ahead of the late hook is bounded too, by the
// process's LateFreeWindow.
constexpr int kLateFreeSpins = 2000;

memledger_mem_type TypeValue(MemType type) { return static_cast<memledger_mem_type>(type); }

std::uint64_t HookedBufferId(const Allocation& allocation, BufferIdentity identity) {
  return identity == BufferIdentity::kAddress ? 0 : allocation.id;
}

// The hooks get the interleaved address, under which [address, address + size)
// is exactly the range the buffer owns (bank_region.h); the bank-local address
// alone would make interleaved buffers look like they overlap.
void ReportAlloc(std::uint32_t device, const BankRegion& region, const Allocation& allocation,
                 BufferIdentity identity) {
  const std::uint64_t address = InterleavedAddress(region, allocation.address);
  switch (allocation.kind) {
    case AllocationKind::kBuffer:
      memledger_alloc(device, TypeValue(allocation.type), HookedBufferId(allocation, identity), address,
                      allocation.size);
      break;
    case AllocationKind::kCircularBuffer:
      memledger_cb_alloc(device, allocation.id, address, allocation.size);
      break;
    case AllocationKind::kKernelBinary:
      memledger_kernel_load(device, allocation.id, address, allocation.size);
      break;
  }
}

void ReportFree(std::uint32_t device, const BankRegion& region, const Allocation& allocation,
                BufferIdentity identity) {
  const std::uint64_t address = InterleavedAddress(region, allocation.address);
  switch (allocation.kind) {
    case AllocationKind::kBuffer:
      memledger_free(device, TypeValue(allocation.type), HookedBufferId(allocation, identity), address);
      break;
    case AllocationKind::kCircularBuffer:
      memledger_cb_free(device, allocation.id, address);
      break;
    case AllocationKind::kKernelBinary:
      memledger_kernel_unload(device, allocation.id, address);
      break;
  }
}

// The simulator's allocator, as its integrator declares it: the device and
// buffer classes and the hook wrappers above (by name, and by file for the
// wrappers a build inlines). Reports name a site by the caller of these.
constexpr const char* kAllocatorFrames = "^memledger::sim::(Device|Buffer)::|(^|/)sim/(device|buffer)\\.cc$";

}  // namespace

Device::Device(std::uint32_t id, const DeviceSpec& spec, HookPolicy hooks, const std::string& uid)
    : id_(id), spec_(spec), hooks_(hooks) {
  std::vector<memledger_capacity> capacities;
  for (const BankRegion& region : spec_.regions) {
    auto& slot = allocators_.at(TypeValue(region.type));
    if (slot) throw std::invalid_argument(fmt::format("device spec {} has two regions of one type", spec_.name));
    slot = std::make_unique<BankAllocator>(region);
    capacities.push_back({TypeValue(region.type), region.capacity()});
  }
  program_cache_ = std::make_unique<ProgramCache>(*this);
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = spec_.name.c_str();
  description.capacities = capacities.data();
  description.capacity_count = capacities.size();
  description.uid = uid.c_str();
  memledger_skip_frames(kAllocatorFrames);  // once per device: the books keep a pattern once
  memledger_device_open_described(id_, &description);
}

Device::~Device() { Close(); }

std::optional<Allocation> Device::Allocate(MemType type, AllocationKind kind, std::uint64_t size,
                                           std::uint64_t page_size) {
  BankAllocator& region = RegionOf(type);
  const std::optional<std::uint64_t> address = region.Allocate(size, page_size);
  if (!address) return std::nullopt;
  // Counted only when there is an event to report (a full region, retried, is none).
  if (hooks_.order == HookOrder::kLateFree) ProcessLateFreeWindow().CountEvent();  // may wait for a late free
  const Allocation allocation{type, kind, NextObjectId(), *address, size};
  ReportAlloc(id_, region.region(), allocation, hooks_.identity);  // after the allocator chose the address
  return allocation;
}

void Device::Release(const Allocation& allocation) {
  BankAllocator& region = RegionOf(allocation.type);
  if (hooks_.order == HookOrder::kCorrect) {
    ReportFree(id_, region.region(), allocation, hooks_.identity);  // before the address goes back
    region.Deallocate(allocation.address);
    return;
  }
  // kLateFree: the address goes back first and the hook waits until another
  // thread has allocated from this region (likely the same address: first fit);
  // the window keeps the others from getting far ahead of the hook meanwhile.
  LateFreeWindow& window = ProcessLateFreeWindow();
  const LateFreeWindow::Ticket ticket = window.Begin();
  const std::uint64_t allocations_before = region.allocation_count();
  region.Deallocate(allocation.address);
  const auto reallocated = [&] { return region.allocation_count() != allocations_before; };
  for (int spin = 0; spin < kLateFreeSpins && !reallocated(); ++spin) {
  }
  if (!reallocated()) std::this_thread::yield();
  ReportFree(id_, region.region(), allocation, hooks_.identity);
  window.End(ticket);
}

void Device::UnloadPrograms() { program_cache_->Clear(); }

void Device::Close() {
  if (!open_) return;
  UnloadPrograms();
  memledger_device_close(id_);
  open_ = false;
}

const BankAllocator* Device::allocator(MemType type) const {
  const auto index = TypeValue(type);
  return index < allocators_.size() ? allocators_[index].get() : nullptr;
}

BankAllocator& Device::RegionOf(MemType type) {
  const auto index = TypeValue(type);
  if (index >= allocators_.size() || !allocators_[index]) {
    throw std::invalid_argument(fmt::format("device {} ({}) has no {} region", id_, spec_.name,
                                            TypeName(type)));
  }
  return *allocators_[index];
}

}  // namespace memledger::sim
