// device.cc — device open/close reporting (with the address spaces), the
// hook placement around the allocators, circular buffers in L1, and the
// failures booked.
#include "sim/device.h"

#include <stdexcept>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "memledger/memledger.h"
#include "sim/allocation_site.h"
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

// The hooks get the interleaved address and the extent, under which
// [address, address + extent) is exactly the range the buffer owns
// (bank_region.h); the bank-local address alone would make interleaved
// buffers look like they overlap. `region` is the space the allocation is in
// (L1 for a circular buffer).
//
// Both keep a frame of their own — out of line, and not a tail call (the
// empty asm after the hook) — so every hook's stack starts at them: the hooks
// run under the region's lock (bank_allocator.h), whose inlined unlock would
// otherwise hold the hook's return address and be the stack's innermost frame.
[[gnu::noinline]] void ReportAlloc(std::uint32_t device, const BankRegion& region, const Allocation& allocation,
                                   BufferIdentity identity) {
  const std::uint64_t address = InterleavedAddress(region, allocation.address);
  switch (allocation.kind) {
    case AllocationKind::kBuffer:
      memledger_alloc(device, TypeValue(allocation.type), HookedBufferId(allocation, identity), address,
                      allocation.extent);
      break;
    case AllocationKind::kCircularBuffer:
      memledger_cb_alloc(device, allocation.id, address, allocation.extent);
      break;
    case AllocationKind::kKernelBinary:
      memledger_kernel_load(device, allocation.id, address, allocation.extent);
      break;
  }
  asm volatile("");
}

[[gnu::noinline]] void ReportFree(std::uint32_t device, const BankRegion& region, const Allocation& allocation,
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
  asm volatile("");
}

// The simulator's allocator, as its integrator declares it: the device,
// buffer and bank allocator classes and the hook wrappers above (by name, and
// by file for the wrappers a build inlines: the hooks run inside
// BankAllocator's templates, bank_allocator.h). Reports name a site by the
// caller of these.
constexpr const char* kAllocatorFrames =
    "^memledger::sim::(Device|Buffer|BankAllocator)::|(^|/)sim/(device|buffer)\\.cc$|(^|/)sim/bank_allocator\\.h$";

// What memledger is told of a region's address space: the whole region in
// hook units (InterleavedAddress(region, a) = base + (a - base) x banks).
memledger_address_space SpaceOf(const BankRegion& region) {
  return {TypeValue(region.type), TypeValue(region.type), region.banks, region.alignment, region.base,
          region.capacity()};
}

}  // namespace

Device::Device(std::uint32_t id, const DeviceSpec& spec, HookPolicy hooks, const std::string& uid, RegionPart part)
    : id_(id), spec_(spec), hooks_(hooks) {
  std::vector<memledger_capacity> capacities;
  std::vector<memledger_address_space> spaces;
  for (const BankRegion& region : spec_.regions) {
    if (region.type == MemType::kCb) {
      throw std::invalid_argument(fmt::format("device spec {} has a CB region: circular buffers are in L1", spec_.name));
    }
    auto& slot = allocators_.at(TypeValue(region.type));
    if (slot) throw std::invalid_argument(fmt::format("device spec {} has two regions of one type", spec_.name));
    slot = std::make_unique<BankAllocator>(region, part);
    capacities.push_back({TypeValue(region.type), region.capacity()});
    spaces.push_back(SpaceOf(region));
  }
  if (allocator(MemType::kL1) != nullptr) spaces.push_back({MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0});
  program_cache_ = std::make_unique<ProgramCache>(*this);
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = spec_.name.c_str();
  description.capacities = capacities.data();
  description.capacity_count = capacities.size();
  description.uid = uid.c_str();
  description.address_spaces = spaces.data();
  description.address_space_count = spaces.size();
  memledger_skip_frames(kAllocatorFrames);  // once per device: the books keep a pattern once
  memledger_device_open_described(id_, &description);
}

Device::~Device() { Close(); }

std::optional<Allocation> Device::Allocate(MemType type, AllocationKind kind, std::uint64_t size,
                                           std::uint64_t page_size, OnFailure on_failure) {
  BankAllocator& region = RegionOf(type);
  const bool hook_under_lock = hooks_.order == HookOrder::kCorrect;
  std::optional<Allocation> allocation;
  const auto placed = [&](std::uint64_t address) {
    allocation = Allocation{type, kind, NextObjectId(), address, size, region.HookedSize(size, page_size)};
    if (hook_under_lock) ReportAlloc(id_, region.region(), *allocation, hooks_.identity);
  };
  const auto failed = [&](FailureTruth failure) {
    if (on_failure == OnFailure::kQuiet) return;
    failure.device = id_;
    failure.size = size;
    memledger_alloc_failed(id_, TypeValue(type), size, failure.extent);  // before the caller sees the failure
    BookFailure(std::move(failure));
  };
  region.Allocate(size, page_size, CurrentAllocationSite(), placed, failed);
  if (!allocation || hook_under_lock) return allocation;
  // kLateFree: hooked outside the lock, as before; counted only when there is
  // an event to report (a full region, retried, is none).
  ProcessLateFreeWindow().CountEvent();  // may wait for a late free
  ReportAlloc(id_, region.region(), *allocation, hooks_.identity);  // after the allocator chose the address
  return allocation;
}

std::optional<std::vector<Allocation>> Device::AllocateCircularBuffers(const std::vector<CircularBufferSpec>& specs) {
  BankAllocator& l1 = RegionOf(MemType::kL1);
  const BankRegion& region = l1.region();
  const CbLayout layout = LayOutCircularBuffers(region, specs);
  std::vector<Allocation> allocations;
  allocations.reserve(layout.buffers.size());
  const auto fits = [&] {
    for (const CircularBufferPlacement& buffer : layout.buffers) {
      allocations.push_back(Allocation{MemType::kCb, AllocationKind::kCircularBuffer, NextObjectId(), buffer.address,
                                       buffer.size, buffer.size * region.banks});
      ReportAlloc(id_, region, allocations.back(), hooks_.identity);
    }
  };
  const auto clashed = [&](FailureTruth failure) {
    failure.device = id_;
    memledger_alloc_failed(id_, MEMLEDGER_CB, failure.size, 0);
    BookFailure(std::move(failure));
  };
  if (!l1.CheckCbRegion(layout.end, fits, clashed)) return std::nullopt;
  std::lock_guard lock(books_mutex_);
  for (const Allocation& allocation : allocations) {
    circular_buffers_.live_bytes += allocation.extent;
    ++circular_buffers_.live_allocations;
    ++circular_buffers_.allocations;
  }
  return allocations;
}

void Device::Release(const Allocation& allocation) {
  if (allocation.kind == AllocationKind::kCircularBuffer) {
    ReportFree(id_, RegionOf(MemType::kL1).region(), allocation, hooks_.identity);
    std::lock_guard lock(books_mutex_);
    circular_buffers_.live_bytes -= allocation.extent;
    --circular_buffers_.live_allocations;
    ++circular_buffers_.deallocations;
    return;
  }
  BankAllocator& region = RegionOf(allocation.type);
  if (hooks_.order == HookOrder::kCorrect) {
    // before the address goes back, under the region's lock
    region.Deallocate(allocation.address, [&] { ReportFree(id_, region.region(), allocation, hooks_.identity); });
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

RegionUsage Device::circular_buffer_usage() const {
  std::lock_guard lock(books_mutex_);
  return circular_buffers_;
}

std::vector<FailureTruth> Device::failures() const {
  std::lock_guard lock(books_mutex_);
  return failures_;
}

std::uint64_t Device::failure_count() const {
  std::lock_guard lock(books_mutex_);
  return failure_count_;
}

void Device::BookFailure(FailureTruth failure) {
  std::lock_guard lock(books_mutex_);
  ++failure_count_;
  if (failures_.size() < kFailuresKept) failures_.push_back(std::move(failure));
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
