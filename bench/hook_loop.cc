// hook_loop.cc — see hook_loop.h.
#include "hook_loop.h"

#include <cstdint>

#include "memledger/memledger.h"

namespace memledger::bench {
namespace {
constexpr std::uint64_t kFlushEvery = 1 << 11;  // a quarter of a thread's lane in the default ring (8 Ki slots)
}  // namespace

[[gnu::noinline]] void HookLoop(benchmark::State& state) {
  const auto thread = static_cast<std::uint64_t>(state.thread_index()) << 40;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::uint64_t id = thread | (i >> 1);
    if ((i & 1) == 0) {
      memledger_alloc(0, MEMLEDGER_DRAM, id + 1, 0x1000 * (id & 1023), 4096);
    } else {
      memledger_free(0, MEMLEDGER_DRAM, id + 1, 0x1000 * (id & 1023));
    }
    if (++i % kFlushEvery == 0) {
      // The consumer catches up off the clock: we measure the hook, not a full ring.
      state.PauseTiming();
      memledger_flush();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}

[[gnu::noinline]] void NestedHookLoop(int frames, benchmark::State& state) {
  if (frames == 0) {
    HookLoop(state);
  } else {
    NestedHookLoop(frames - 1, state);
  }
  benchmark::DoNotOptimize(frames);  // not a tail call: each level keeps its frame
}

}  // namespace memledger::bench
