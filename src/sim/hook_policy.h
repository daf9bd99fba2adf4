// hook_policy.h — HookPolicy: where the simulated runtime places its memledger
// hooks and which identity it passes. The default is the correct integration;
// the others reproduce integration mistakes on purpose (see memledger.h,
// "Buffer identity and the hook-placement rule").
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>

namespace memledger::sim {

enum class HookOrder : std::uint8_t {
  kCorrect,   // alloc hook after the address is chosen, free hook before it is released
  kLateFree,  // free hook after the address was released, with a window wide
              // enough that another thread reuses it first, and narrow enough
              // (LateFreeWindow) that the ledger still sees a late free
};

enum class BufferIdentity : std::uint8_t {
  kId,       // buffers pass their unique id
  kAddress,  // buffers pass buffer_id = 0: the address is the identity
};

struct HookPolicy {
  HookOrder order = HookOrder::kCorrect;
  BufferIdentity identity = BufferIdentity::kId;
};

}  // namespace memledger::sim
