// checkpoint_query_bench.cc — what a leak gate pays per test through the C
// ABI, in this tracked process (embedded consumer, issue 17): one test's
// cycle — memledger_checkpoint_begin, N buffers allocated and freed (and
// `leaked` of them left live), memledger_query_checkpoint with the JSON and
// the text (what the pytest plugin asks), the leaked freed,
// memledger_checkpoint_end — with 100,000 buffers of the process live from
// before (a session's device). Most of a clean cycle is the query's wait
// for the drain thread to apply what came before it (it sleeps 1 ms when
// idle; the query's doorbell wakes it). BM_CheckpointCycle
// (checkpoint_bench.cc) is the ledger's part alone; the whole pytest
// plugin's cost per test is measured as a whole process (docs/benchmarks.md,
// "Checkpoints").
#include <benchmark/benchmark.h>

#include <cstdint>

#include "memledger/memledger.h"

namespace {

constexpr std::uint32_t kDevice = 60;  // no other benchmark's
constexpr std::uint64_t kLiveFromBefore = 100000;

void BM_GateCycle(benchmark::State& state) {
  if (!memledger_enabled()) {
    state.SkipWithError("tracking is off: run with MEMLEDGER=1 MEMLEDGER_REPORT=0");
    return;
  }
  const std::uint64_t allocated = static_cast<std::uint64_t>(state.range(0));
  const std::uint64_t leaked = static_cast<std::uint64_t>(state.range(1));
  for (std::uint64_t i = 1; i <= kLiveFromBefore; ++i) memledger_alloc(kDevice, MEMLEDGER_DRAM, i, i << 12, 4096);
  std::uint64_t next = kLiveFromBefore + 1;
  for (auto _ : state) {
    const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
    const std::uint64_t first = next;
    for (std::uint64_t i = 0; i < allocated; ++i, ++next) {
      memledger_alloc(kDevice, MEMLEDGER_DRAM, next, next << 12, 4096);
      if (i >= leaked) memledger_free(kDevice, MEMLEDGER_DRAM, next, next << 12);
    }
    memledger_checkpoint_query query{};
    query.struct_size = sizeof(query);
    query.checkpoint = checkpoint;
    memledger_checkpoint_result result{};
    result.struct_size = sizeof(result);
    if (memledger_query_checkpoint(&query, &result) != 0 || result.buffers != leaked) {
      state.SkipWithError("the query failed or counted otherwise");
      break;
    }
    memledger_free_text(result.json);
    memledger_free_text(result.text);
    for (std::uint64_t id = first; id < first + leaked; ++id) memledger_free(kDevice, MEMLEDGER_DRAM, id, id << 12);
    memledger_checkpoint_end(checkpoint);
  }
  for (std::uint64_t i = 1; i <= kLiveFromBefore; ++i) memledger_free(kDevice, MEMLEDGER_DRAM, i, i << 12);
  memledger_flush();
}
BENCHMARK(BM_GateCycle)->Args({0, 0})->Args({2, 0})->Args({2, 1})->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
