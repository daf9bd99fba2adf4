// hook_loop.h — the hook calls the hook benchmarks time: alloc/free pairs
// over a small working set, as an allocator's callers make them, and the
// same under more frames of calls so a stack walk finds as many as it asks
// for. Shared by memledger-bench (hook_bench.cc) and memledger-bench-python.
//
// Thread-safety: each benchmark thread runs its own loop (ids by thread).
#pragma once

#include <benchmark/benchmark.h>

namespace memledger::bench {

// One hook per iteration; the consumer catches up off the clock every 64 Ki.
void HookLoop(benchmark::State& state);
// HookLoop under `frames` more frames of calls.
void NestedHookLoop(int frames, benchmark::State& state);

}  // namespace memledger::bench
