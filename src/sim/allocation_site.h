// allocation_site.h — the allocation site the simulator's own truth names: the
// workload function that allocates, as a symbolized allocation stack would
// show it. A site function opens a ScopedAllocationSite with its own name
// (__func__) and is kept out of line ([[gnu::noinline]]), so the name the
// Truth records and the frame memledger's stacks show are the same function.
//
// Thread-safety: the current site is per thread.
#pragma once

namespace memledger::sim {

class ScopedAllocationSite {
 public:
  // `name` must outlive every allocation made under it (a string literal, __func__).
  explicit ScopedAllocationSite(const char* name);
  ~ScopedAllocationSite();
  ScopedAllocationSite(const ScopedAllocationSite&) = delete;
  ScopedAllocationSite& operator=(const ScopedAllocationSite&) = delete;

 private:
  const char* outer_;
};

// The innermost open site of this thread; "" when none is open.
const char* CurrentAllocationSite();

}  // namespace memledger::sim
