// stack_capture.h — the calling thread's native stack as return addresses,
// innermost first, taken on the hooked thread at hook time.
//
// Frame pointers: a walk up the rbp chain, bounded by the thread's stack (read
// once per thread) and stopped at the first link that does not go up the
// stack, so code without frame pointers ends the walk early instead of
// faulting. libunwind: unw_backtrace, which reads unwind tables (slower, but
// right through code built without frame pointers).
//
// Thread-safety: any thread; no lock; allocates only the first time a thread
// asks for its stack bounds.
#pragma once

#include <cstddef>
#include <cstdint>

#include "client/config.h"

namespace memledger {

// A half-open address range of code whose frames are left out (the
// library's own), so a stack begins at the application's frame.
struct CodeRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  bool Contains(std::uint64_t address) const { return address >= start && address < end; }
};

// Writes at most `depth` frames into `frames`, leading frames inside `skip`
// left out; returns how many. Never faults on a broken frame chain.
std::size_t CaptureStack(StackUnwinder how, std::uint64_t* frames, std::size_t depth, CodeRange skip);

// The code range (its executable PT_LOAD segment) of the object `address` is
// in; empty when none.
CodeRange CodeRangeOf(const void* address);

}  // namespace memledger
