// leak_plan.h — LeakPlan: where a workload's deliberate leaks happen. Leak i
// (0 <= i < leaks) belongs to thread i % threads; each thread spreads its
// leaks evenly over its iterations.
//
// Thread-safety: not thread-safe; one LeakPlan per thread.
#pragma once

#include <cstdint>
#include <functional>

namespace memledger::sim {

class LeakPlan {
 public:
  LeakPlan(std::uint64_t leaks, std::uint32_t threads, std::uint32_t thread, std::uint64_t iterations);

  // Calls leak(i) for every leak of this thread due by `iteration` and not yet
  // made, i being the leak's index among all threads' leaks. Call it once per
  // iteration, and once more with iteration == iterations to make the rest.
  void MakeDue(std::uint64_t iteration, const std::function<void(std::uint64_t leak)>& leak);

 private:
  std::uint32_t threads_;
  std::uint32_t thread_;
  std::uint64_t iterations_;
  std::uint64_t mine_;      // leaks of this thread
  std::uint64_t made_ = 0;  // of those, made so far
};

}  // namespace memledger::sim
