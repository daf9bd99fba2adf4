// hook_core.h — the hot path of every hook: the tracking state it reads, the
// ring it writes, how it makes its 64-byte record and publishes it. With
// tracking on a hook costs one acquire load of the state, one sequence number
// (a relaxed fetch_add), one 64-byte copy into the thread's own lane of the
// ring and one release store (event_ring.h: EventRing::Put); no lock, no
// allocation, no clock. The files of the process-wide client state
// (allocation_stacks, declared_names, server_watch, tracking_lifecycle,
// c_api) are cold and build on this one; it includes none of them.
//
// The hot path leaves this file in two places only, both cold and defined
// above it: DecideTracking (tracking_lifecycle.cc: the first hook of an
// undecided process decides from the environment) and CurrentStack
// (allocation_stacks.cc: the stacks-on branch).
//
// Globals (constant-initialized: hooks may run from other libraries' static
// constructors, before any dynamic initializer here; never freed: hooks may
// run during static destruction):
//   g_hook.state  written by the lifecycle (Undecided -> On | Off once; On ->
//                 Off at unload or in a forked child), read by every hook
//                 (acquire; pairs with the release store that turns it on).
//   g_hook.stack_depth  written by SetStackDepth (allocation_stacks.h), read
//                 by every alloc and free hook (acquire: the stack machinery
//                 is made before the depth first becomes non-zero).
//   g_ring, g_config  written once by the lifecycle before g_hook.state
//                 becomes On (release); read after Active() said true.
//   tls_thread    the calling thread's own: its id and its tag stack.
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string_view>

#include "client/config.h"
#include "client/stack_capture.h"
#include "event/event.h"
#include "ring/event_ring.h"

namespace memledger {

enum TrackingState : int { kUndecided = 0, kOn = 1, kOff = 2 };

// What every hook reads, on one cache line: the state, and the stack depth
// (MEMLEDGER_STACKS, memledger_set_stack_depth; 0: no stacks).
struct alignas(64) HookState {
  std::atomic<int> state{kUndecided};
  std::atomic<std::uint32_t> stack_depth{0};
};
extern constinit HookState g_hook;
extern constinit EventRing* g_ring;
extern constinit ClientConfig* g_config;

inline constexpr int kMaxTagDepth = 64;
struct ThreadState {
  std::uint32_t tid;
  int tag_depth;  // may exceed kMaxTagDepth; deeper tags are not recorded
  std::uint32_t tags[kMaxTagDepth];
};
extern constinit thread_local ThreadState tls_thread __attribute__((tls_model("initial-exec")));

// Defined in tracking_lifecycle.cc: decides once (the first caller does,
// the others wait) whether tracking is on; true when it is.
bool DecideTracking();
// Defined in allocation_stacks.cc: the calling thread's stack as an id (0: none).
MEMLEDGER_HOOK_PATH std::uint32_t CurrentStack(std::uint32_t depth);

// True when tracking is on; the first call decides.
inline bool Active() {
  // Acquire: pairs with the release store that turns tracking on (tracking_lifecycle.cc, Init).
  const int state = g_hook.state.load(std::memory_order_acquire);
  if (state == kOn) [[likely]]
    return true;
  if (state == kOff) return false;
  return DecideTracking();
}

inline std::uint32_t ThreadId() {
  ThreadState& t = tls_thread;
  if (t.tid == 0) [[unlikely]]
    t.tid = static_cast<std::uint32_t>(syscall(SYS_gettid));
  return t.tid;
}

// The innermost tag of the calling thread (0: none).
inline std::uint32_t CurrentTag() {
  const ThreadState& t = tls_thread;
  if (t.tag_depth <= 0) return 0;
  return t.tags[(t.tag_depth > kMaxTagDepth ? kMaxTagDepth : t.tag_depth) - 1];
}

// A record of the calling thread, with its current tag; no stack. The
// consumer stamps the time and the ring the sequence number.
inline Event MakeEvent(EventKind kind, std::uint32_t device, std::uint8_t type, std::uint64_t id,
                       std::uint64_t address, std::uint64_t size) {
  Event e;
  e.seq = 0;
  e.time_ns = 0;
  e.buffer_id = id;
  e.address = address;
  e.size = size;
  e.thread = ThreadId();
  e.stack = 0;
  e.tag = CurrentTag();
  e.device = static_cast<std::uint16_t>(device > 0xffff ? 0xffff : device);  // out of range: invalid in the ledger
  e.kind = static_cast<std::uint8_t>(kind);
  e.type = type;
  e.payload_bytes = 0;
  e.reserved = 0;
  return e;
}

// Publishes a one-slot record: its seq, or 0 when a full ring dropped it. Tracking must be on.
std::uint64_t Emit(const Event& e);
// A record with a payload: a header slot and its continuation slots, claimed together.
void EmitWithPayload(Event header, std::string_view payload);

// The hook: alloc, free, cb, kernel. Nothing when tracking is off.
MEMLEDGER_HOOK_PATH void Track(EventKind kind, std::uint32_t device, std::uint8_t type, std::uint64_t id,
                               std::uint64_t address, std::uint64_t size);

// Tracking off from now on: every hook returns at its first load.
void TurnOff();

// The calling thread's tag stack (memledger_tag_push / _pop).
void PushThreadTag(std::uint32_t id);
void PopThreadTag();

}  // namespace memledger
