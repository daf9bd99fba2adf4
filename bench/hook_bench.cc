// hook_bench.cc — the cost of a hook as an application thread pays it:
// BM_HookDisabled (tracking off: the inline check only), BM_HookEnabled (the
// real library, its embedded consumer draining on another thread),
// BM_HookStacks/DEPTH (the same with a DEPTH-frame call stack captured and
// interned on every alloc and free, warm: the stacks repeat). The baseline,
// BM_HookSeedBaseline, is in seed_baseline_bench.cc.
//
// Run with MEMLEDGER=1 MEMLEDGER_REPORT=0 (make bench does): the library is
// then on, and BM_HookDisabled turns the inline flag off for its own run,
// which is exactly the state a process without MEMLEDGER=1 is in.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>

#include "hook_loop.h"
#include "memledger/memledger.h"

namespace {

using memledger::bench::HookLoop;
using memledger::bench::NestedHookLoop;

void BM_HookDisabled(benchmark::State& state) {
  const int saved = memledger_hooks_active;
  __atomic_store_n(&memledger_hooks_active, 0, __ATOMIC_RELAXED);
  std::uint64_t i = 0;
  for (auto _ : state) {
    memledger_alloc(0, MEMLEDGER_DRAM, i + 1, 0x1000 * i, 4096);
    benchmark::ClobberMemory();
    ++i;
  }
  __atomic_store_n(&memledger_hooks_active, saved, __ATOMIC_RELAXED);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HookDisabled)->Repetitions(5)->DisplayAggregatesOnly(true);

// The same loop with no hook at all: what the disabled check is compared to.
void BM_NoHook(benchmark::State& state) {
  std::uint64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(i);
    benchmark::ClobberMemory();
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NoHook)->Repetitions(5)->DisplayAggregatesOnly(true);

void BM_HookEnabled(benchmark::State& state) {
  if (!memledger_enabled()) {
    state.SkipWithError("tracking is off: run with MEMLEDGER=1 MEMLEDGER_REPORT=0");
    return;
  }
  HookLoop(state);
}
BENCHMARK(BM_HookEnabled)->Threads(1)->Threads(2)->Repetitions(5)->DisplayAggregatesOnly(true)->UseRealTime();

void BM_HookStacks(benchmark::State& state) {
  const int depth = static_cast<int>(state.range(0));
  if (memledger_set_stack_depth(depth) < 0) {
    state.SkipWithError("tracking is off: run with MEMLEDGER=1 MEMLEDGER_REPORT=0");
    return;
  }
  NestedHookLoop(depth, state);
  memledger_set_stack_depth(0);
}
BENCHMARK(BM_HookStacks)->Arg(16)->Arg(32)->Repetitions(5)->DisplayAggregatesOnly(true)->UseRealTime();

}  // namespace
