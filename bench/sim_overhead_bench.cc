// sim_overhead_bench.cc — BM_SimLlmOverhead: whole-program cost of tracking.
// Each repetition runs `memledger-sim llm` untracked and then tracked
// (MEMLEDGER=1, embedded consumer, no capture file), alternating so that
// drift on the machine hits both alike; the counters are the wall times and
// their ratio, whose median across repetitions is the figure of merit.
// BM_SimLlmOverheadStacks: the same with MEMLEDGER_STACKS=1 (target ≤ 1.5×).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>
#include <vector>

#include "child_process.h"

namespace memledger::bench {
namespace {

// Wall seconds of one `memledger-sim llm` with `tracking` added to a clean
// environment (none: untracked), or a negative number when it failed.
double RunSim(const std::vector<std::string>& tracking) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = Spawn({BinDir() + "/memledger-sim", "llm"}, CleanEnvironment(tracking));
  if (pid < 0 || !ExitedCleanly(pid)) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Overhead(benchmark::State& state, const std::vector<std::string>& tracking) {
  double untracked = 0, tracked = 0;
  for (auto _ : state) {
    untracked = RunSim({});
    tracked = RunSim(tracking);
    if (untracked <= 0 || tracked <= 0) {
      state.SkipWithError("memledger-sim llm failed");
      return;
    }
    state.SetIterationTime(tracked);
  }
  state.counters["untracked_s"] = untracked;
  state.counters["tracked_s"] = tracked;
  state.counters["ratio"] = tracked / untracked;
}

void BM_SimLlmOverhead(benchmark::State& state) { Overhead(state, {"MEMLEDGER=1", "MEMLEDGER_REPORT=0"}); }
BENCHMARK(BM_SimLlmOverhead)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);

// The same with a stack captured on every alloc and free (frame pointers, depth 32).
void BM_SimLlmOverheadStacks(benchmark::State& state) {
  Overhead(state, {"MEMLEDGER=1", "MEMLEDGER_REPORT=0", "MEMLEDGER_STACKS=1"});
}
BENCHMARK(BM_SimLlmOverheadStacks)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memledger::bench
