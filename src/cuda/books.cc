// books.cc — see books.h.
#include "cuda/books.h"

#include <atomic>
#include <cstdio>
#include <vector>

#include "cuda/device_registry.h"
#include "cuda/vmm_table.h"

namespace memledger::cuda {
namespace {

constinit std::atomic<std::uint64_t> g_next_buffer_id{1};
// Said at exit (relaxed: counters, read once every thread is done).
constinit std::atomic<std::uint64_t> g_frees_of_unseen_allocations{0};
constinit std::atomic<std::uint64_t> g_unseen_frees{0};

// Made on first use and never freed: CUDA calls may come from static destructors.
AllocationTable& Buffers() {
  static AllocationTable* const table = new AllocationTable();
  return *table;
}
VmmTable& Vmm() {
  static VmmTable* const table = new VmmTable();
  return *table;
}

std::uint64_t NewBufferId() { return g_next_buffer_id.fetch_add(1, std::memory_order_relaxed); }

void RecordFree(std::uint64_t address, const BookedBuffer& buffer) {
  memledger_record_free(buffer.device, buffer.type, buffer.buffer_id, address);
}

void RecordPhysicalFrees(const std::vector<PhysicalAllocation>& ended) {
  for (const PhysicalAllocation& physical : ended) {
    memledger_record_free(physical.device, Types().vmm_physical, physical.buffer_id, 0);
  }
}

__attribute__((destructor)) void SayWhatWasNotSeen() {
  const std::uint64_t unseen_allocations = g_frees_of_unseen_allocations.load(std::memory_order_relaxed);
  const std::uint64_t unseen_frees = g_unseen_frees.load(std::memory_order_relaxed);
  if (unseen_allocations != 0) {
    std::fprintf(stderr,
                 "memledger cuda: %llu frees of memory allocated through calls it does not intercept were not "
                 "booked (docs/integrations/cuda.md lists what it intercepts)\n",
                 static_cast<unsigned long long>(unseen_allocations));
  }
  if (unseen_frees != 0) {
    std::fprintf(stderr,
                 "memledger cuda: %llu buffers were freed through calls it does not intercept; booked as freed "
                 "when their address was allocated again\n",
                 static_cast<unsigned long long>(unseen_frees));
  }
}

}  // namespace

void BookAlloc(std::uint32_t device, memledger_mem_type type, std::uint64_t address, std::uint64_t size) {
  if (address == 0 || size == 0) return;
  OpenDeviceOnce(device);
  const BookedBuffer buffer{NewBufferId(), device, type, size};
  // Into the table first: the program cannot free the address before this
  // call returns it, and a buffer found there must be freed before this one is booked.
  if (const std::optional<BookedBuffer> replaced = Buffers().Insert(address, buffer)) {
    g_unseen_frees.fetch_add(1, std::memory_order_relaxed);
    RecordFree(address, *replaced);
  }
  memledger_record_alloc(device, type, buffer.buffer_id, address, size);
}

void BookFailure(std::uint32_t device, memledger_mem_type type, std::uint64_t size) {
  OpenDeviceOnce(device);
  memledger_record_alloc_failed(device, type, size, 0);
}

std::optional<BookedBuffer> BookFree(std::uint64_t address) {
  std::optional<BookedBuffer> booked = Buffers().Remove(address);
  if (booked) RecordFree(address, *booked);
  return booked;
}

void SettleFree(std::uint64_t address, const std::optional<BookedBuffer>& booked, bool freed) {
  if (freed) {
    if (!booked) g_frees_of_unseen_allocations.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (!booked) return;
  // The memory is still the program's: book it again, as it was.
  Buffers().Insert(address, *booked);
  memledger_record_alloc(booked->device, booked->type, booked->buffer_id, address, booked->size);
}

void BookPhysicalCreate(std::uint64_t handle, std::uint32_t device, std::uint64_t size) {
  if (size == 0) return;
  OpenDeviceOnce(device);
  const PhysicalAllocation physical{NewBufferId(), device, size};
  memledger_record_alloc(device, Types().vmm_physical, physical.buffer_id, 0, size);
  RecordPhysicalFrees(Vmm().Create(handle, physical));
}

void BookPhysicalRetain(std::uint64_t handle, std::uint64_t address) { Vmm().Retain(handle, address); }

VmmDrops BookPhysicalRelease(std::uint64_t handle) {
  VmmDrops drops;
  RecordPhysicalFrees(Vmm().Release(handle, &drops));
  return drops;
}

void BookMap(std::uint64_t address, std::uint64_t size, std::uint64_t handle) {
  RecordPhysicalFrees(Vmm().Map(address, size, handle));
}

VmmDrops BookUnmap(std::uint64_t address, std::uint64_t size) {
  VmmDrops drops;
  RecordPhysicalFrees(Vmm().Unmap(address, size, &drops));
  return drops;
}

void SettleVmm(const VmmDrops& drops, bool succeeded) {
  if (succeeded || (drops.handle_references.empty() && drops.mappings.empty())) return;
  // Still the program's: booked again, as they were.
  for (const PhysicalAllocation& physical : Vmm().Restore(drops)) {
    memledger_record_alloc(physical.device, Types().vmm_physical, physical.buffer_id, 0, physical.size);
  }
}

}  // namespace memledger::cuda
