// tracked_call.h — one allocation is booked once. A runtime call is built on
// driver calls (cudaMalloc calls cuMemAlloc_v2, which cudart got from
// cuGetProcAddress and is therefore this library's wrapper too): only the
// outermost tracked call on a thread books; the calls it makes pass through.
//
// Thread-safety: per thread (a thread-local depth).
#pragma once

#include <memledger/memledger.h>

namespace memledger::cuda {

inline constinit thread_local int tls_tracked_call_depth __attribute__((tls_model("initial-exec"))) = 0;

// Lives for the duration of one wrapped call.
class TrackedCall {
 public:
  TrackedCall() : outermost_(tls_tracked_call_depth++ == 0) {}
  ~TrackedCall() { --tls_tracked_call_depth; }
  TrackedCall(const TrackedCall&) = delete;
  TrackedCall& operator=(const TrackedCall&) = delete;

  // True when this call tells the ledger: it is the outermost, and tracking is on.
  bool books() const { return outermost_ && MEMLEDGER_HOOKS_ON(); }

 private:
  const bool outermost_;
};

}  // namespace memledger::cuda
