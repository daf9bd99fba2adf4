// hook_core.cc — see hook_core.h: the hot path's globals, the hook, and the
// ring writes every record of this process goes through.
#include "client/hook_core.h"

#include <span>

#include "event/record.h"

MEMLEDGER_API int memledger_hooks_active = 1;  // declared extern "C" in memledger.h

namespace memledger {

constinit HookState g_hook;
constinit EventRing* g_ring = nullptr;
constinit ClientConfig* g_config = nullptr;
constinit thread_local ThreadState tls_thread __attribute__((tls_model("initial-exec"))) = {0, 0, {}};

std::uint64_t Emit(const Event& e) { return g_ring->Put(e); }

void EmitWithPayload(Event header, std::string_view payload) {
  payload = payload.substr(0, kMaxPayloadBytes);
  header.payload_bytes = static_cast<std::uint32_t>(payload.size());
  const std::uint32_t extra = ContinuationSlots(header.payload_bytes);
  Event continuation[ContinuationSlots(kMaxPayloadBytes)];
  PackPayload(payload, std::span(continuation, extra));
  EventRing& ring = *g_ring;
  const std::uint64_t seq = ring.Claim(1 + extra);
  if (seq == 0) return;
  ring.Publish(seq, header);
  for (std::uint32_t i = 0; i < extra; ++i) ring.Publish(seq + 1 + i, continuation[i]);
}

MEMLEDGER_HOOK_PATH void Track(EventKind kind, std::uint32_t device, std::uint8_t type, std::uint64_t id,
                               std::uint64_t address, std::uint64_t size) {
  if (!Active()) return;
  Event e = MakeEvent(kind, device, type, id, address, size);
  // Acquire: pairs with the release store in SetStackDepth (the table is made).
  if (const std::uint32_t depth = g_hook.stack_depth.load(std::memory_order_acquire); depth != 0) [[unlikely]] {
    e.stack = CurrentStack(depth);
  }
  Emit(e);
}

void TurnOff() {
  g_hook.state.store(kOff, std::memory_order_release);
  __atomic_store_n(&memledger_hooks_active, 0, __ATOMIC_RELAXED);
}

void PushThreadTag(std::uint32_t id) {
  ThreadState& t = tls_thread;
  if (t.tag_depth < kMaxTagDepth) t.tags[t.tag_depth] = id;
  ++t.tag_depth;
}

void PopThreadTag() {
  ThreadState& t = tls_thread;
  if (t.tag_depth > 0) --t.tag_depth;
}

}  // namespace memledger
