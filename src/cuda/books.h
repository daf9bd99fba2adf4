// books.h — what the interposer tells the ledger (through the C ABI,
// memledger.h), and what it remembers so it can tell it later.
//
// Identity: every booked buffer gets a buffer_id of its own from one
// counter, so a free matches its allocation exactly; the ledger also gets
// the address, for its overlap checks (physical VMM allocations have none).
//
// Hook placement: a free is booked BEFORE the real free, so no other thread
// can have the address back yet (no false late_free_hook); when the real
// free fails, the buffer is booked again. Stream-ordered frees
// (cudaFreeAsync, cuMemFreeAsync) are booked at the call: the memory goes
// back to its pool when the stream reaches the free, never earlier.
//
// Failures: a call that fails for want of memory (cudaErrorMemoryAllocation,
// CUDA_ERROR_OUT_OF_MEMORY) is booked as a failed allocation of the type and
// on the device its success would have been booked under (BookFailure), by
// the outermost tracked call only, after the real call. Nothing the program
// sees changes: the interposer returns the real call's result, and what it
// calls to book (the current device, the device's description) are calls
// that leave the runtime's last error as it was when they succeed.
//
// What the interposer could not see is counted and said at exit, never
// booked as the program's fault: frees of memory allocated through calls it
// does not intercept, and buffers freed through such calls (seen when their
// address is allocated again: booked as freed then).
//
// Thread-safety: thread-safe; no lock shared by all threads on the
// alloc/free path (allocation_table.h). VMM calls take one lock (vmm_table.h).
#pragma once

#include <memledger/memledger.h>

#include <cstdint>
#include <optional>

#include "cuda/allocation_table.h"
#include "cuda/tracked_call.h"
#include "cuda/vmm_table.h"

namespace memledger::cuda {

// A successful allocation at `address` (nothing is booked for address 0 or size 0).
void BookAlloc(std::uint32_t device, memledger_mem_type type, std::uint64_t address, std::uint64_t size);
// A call that could not allocate `size` bytes of `type` on `device` for want
// of memory. Cold: only after a failed call.
[[gnu::cold]] void BookFailure(std::uint32_t device, memledger_mem_type type, std::uint64_t size);
// Before the real free of `address`: the buffer booked there, now booked as freed.
std::optional<BookedBuffer> BookFree(std::uint64_t address);
// After a real free: `booked` is what BookFree returned, `freed` whether the free succeeded.
void SettleFree(std::uint64_t address, const std::optional<BookedBuffer>& booked, bool freed);

// Frees `address` with `real_free` (which returns `success` when it freed),
// booking it as above when `call` books.
template <typename Result, typename RealFree>
Result FreeAndBook(const TrackedCall& call, std::uint64_t address, Result success, RealFree&& real_free) {
  if (!call.books() || address == 0) return real_free();
  const std::optional<BookedBuffer> booked = BookFree(address);
  const Result result = real_free();
  SettleFree(address, booked, result == success);
  return result;
}

// The virtual memory management calls (vmm_table.h, "Order"). Those that
// give a handle or a mapping out, after they succeeded:
void BookPhysicalCreate(std::uint64_t handle, std::uint32_t device, std::uint64_t size);
void BookPhysicalRetain(std::uint64_t handle, std::uint64_t address);
void BookMap(std::uint64_t address, std::uint64_t size, std::uint64_t handle);
// Those that give one back, before the real call; then SettleVmm with what
// they returned and whether the real call succeeded (if not, the books are
// put back as they were).
VmmDrops BookPhysicalRelease(std::uint64_t handle);
VmmDrops BookUnmap(std::uint64_t address, std::uint64_t size);
void SettleVmm(const VmmDrops& drops, bool succeeded);

// Calls `real_call` (which returns `success` when it gave the handle or
// mapping back) between `book` (BookPhysicalRelease or BookUnmap) and SettleVmm, when `call` books.
template <typename Result, typename Book, typename RealCall>
Result GiveBackAndBook(const TrackedCall& call, Result success, Book&& book, RealCall&& real_call) {
  if (!call.books()) return real_call();
  const VmmDrops drops = book();
  const Result result = real_call();
  SettleVmm(drops, result == success);
  return result;
}

}  // namespace memledger::cuda
