// stack_capture.h — the calling thread's native stack as return addresses,
// innermost first, taken on the hooked thread at hook time.
//
// Frame pointers: a walk up the rbp chain, bounded by the thread's stack (read
// once per thread), stopped at the first link that does not go up the stack
// and at the first return address outside the code the process is known to
// have mapped: past a function built without frame pointers, rbp holds
// whatever that function kept in it, and the "frames" beyond are garbage
// that would make every stack unique. libunwind: unw_backtrace, which reads
// unwind tables (slower, but right through code without frame pointers).
//
// Thread-safety: any thread; no lock; allocates only the first time a thread
// asks for its stack bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "client/config.h"

namespace memledger {

// A half-open address range of code whose frames are left out (the
// library's own), so a stack begins at the application's frame.
struct CodeRange {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  bool Contains(std::uint64_t address) const { return address >= start && address < end; }
};

// The address ranges of the objects mapped in the process, sorted: a frame
// outside all of them is not a frame. Immutable once made.
class MappedCode {
 public:
  explicit MappedCode(std::vector<CodeRange> ranges);
  bool Contains(std::uint64_t address) const;

 private:
  std::vector<CodeRange> ranges_;  // sorted by start, not overlapping
};

// Which native frames a stack keeps. (The {} lets designated initializers
// leave members out without -Wmissing-field-initializers.)
struct FrameFilter {
  CodeRange skip{};     // leading frames here are left out (the library's own)
  CodeRange glue{};     // ... and here (a language binding's own, when its frames come with the stack)
  CodeRange stop_at{};  // the walk ends before the first frame here (the interpreter whose frames the binding gives)
};

struct CapturedStack {
  std::size_t depth = 0;
  // The walk stopped at an address in no known object (0: it did not): code
  // loaded since `code` was made, or garbage past a frame without a frame pointer.
  std::uint64_t stopped_at = 0;
};

// Writes at most `depth` frames into `frames`, as `filter` says. With frame
// pointers, `code` (may be null: no check) ends the walk at the first address
// outside it. Never faults on a broken frame chain.
CapturedStack CaptureStack(StackUnwinder how, std::uint64_t* frames, std::size_t depth, const FrameFilter& filter,
                           const MappedCode* code = nullptr);

// The code range (its executable PT_LOAD segment) of the object `address` is
// in; empty when none.
CodeRange CodeRangeOf(const void* address);

// The functions between a public hook and the stack walk are placed in one
// section, so that their frames are left out by address whether memledger is
// a shared library or linked into the program (libmemledger.a), where the
// object's whole code segment is the program's own.
#define MEMLEDGER_HOOK_PATH [[gnu::section("memledger_hook_path")]]
// The code of this object's functions marked MEMLEDGER_HOOK_PATH.
CodeRange HookPathCode();

}  // namespace memledger
