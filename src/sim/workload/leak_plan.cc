// leak_plan.cc — spreading leaks over threads and iterations.
#include "sim/workload/leak_plan.h"

namespace memledger::sim {

LeakPlan::LeakPlan(std::uint64_t leaks, std::uint32_t threads, std::uint32_t thread, std::uint64_t iterations)
    : threads_(threads),
      thread_(thread),
      iterations_(iterations),
      mine_(leaks > thread ? (leaks - thread + threads - 1) / threads : 0) {}

void LeakPlan::MakeDue(std::uint64_t iteration, const std::function<void(std::uint64_t leak)>& leak) {
  // The j-th leak of this thread is due at iteration j * iterations / mine.
  while (made_ < mine_ && (iteration >= iterations_ || made_ * iterations_ / mine_ <= iteration)) {
    leak(thread_ + made_ * threads_);
    ++made_;
  }
}

}  // namespace memledger::sim
