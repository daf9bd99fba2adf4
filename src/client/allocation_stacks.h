// allocation_stacks.h — allocation stacks in the tracked process: turning
// them on (the table, module map and unwinder, made once and never freed),
// the calling thread's stack as an id on the hot path's stacks-on branch
// (CurrentStack, declared in hook_core.h), the MODULE, STACK and
// LANGUAGE_FRAME records that describe them, and a language binding's frame
// provider.
//
// Globals (the .cc): g_stack_table, g_mapped_code and g_frame_provider are
// published with a release store and read with an acquire load by any
// hooked thread, lock-free; the old code map or provider is never freed (a
// hook may be reading it). g_stack_mutex orders MODULE and LANGUAGE_FRAME
// records before the STACK records that need them, and guards the module
// map and the language frame table; it is held across an emit.
#pragma once

#include <cstdint>

#include "client/stack_table.h"
#include "memledger/memledger.h"

namespace memledger {

// Makes the stack machinery once, then sets the depth (0: off). Returns the
// depth before, or -1 (stacks stay off, said once on stderr) when the
// machinery could not be made: out of memory or address space; nothing may
// throw through the C ABI. Tracking must be on.
int SetStackDepth(std::uint32_t depth);

// memledger_set_frame_provider and memledger_intern_frame (memledger.h).
// Tracking must be on.
void SetFrameProvider(memledger_frame_provider frames, const void* interpreter);
std::uint64_t InternLanguageFrame(const char* function, const char* file, std::uint32_t line);

// The stacks interned so far; null before stacks were first turned on.
const StackTable* InternedStacks();

}  // namespace memledger
