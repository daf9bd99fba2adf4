// checkpoint_bench.cc — what a checkpoint costs the ledger (issue 17): one
// test's cycle — CHECKPOINT, N allocations in the window, the query
// (Ledger::Since), the frees, CHECKPOINT_END — with 100,000 buffers of the
// process live from before it (a session's device), for N = 0 (a clean test
// that allocated nothing: the answer must not walk the 100,000) and larger N.
// BM_ConsumerIngest/2 (ingest_bench.cc) is the per-event cost while one is open.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "event/record.h"
#include "ledger/ledger.h"

namespace memledger {
namespace {

constexpr std::uint64_t kLiveFromBefore = 100000;

class Stream {
 public:
  explicit Stream(Ledger& ledger) : ledger_(ledger), process_(ledger.BeginProcess(1, "bench")) {}
  std::uint64_t Apply(EventKind kind, std::uint64_t id = 0, std::uint64_t size = 0) {
    Event e{};
    e.seq = ++seq_;
    e.kind = static_cast<std::uint8_t>(kind);
    e.type = MEMLEDGER_DRAM;
    e.buffer_id = id;
    e.address = id * 0x1000;
    e.size = size;
    ledger_.Apply(process_, Record{e, {}});
    return seq_;
  }
  ProcessIndex process() const { return process_; }

 private:
  Ledger& ledger_;
  ProcessIndex process_;
  std::uint64_t seq_ = 0;
};

void BM_CheckpointCycle(benchmark::State& state) {
  Ledger ledger;
  Stream stream(ledger);
  for (std::uint64_t id = 1; id <= kLiveFromBefore; ++id) stream.Apply(EventKind::kAlloc, id, 4096);
  const auto in_window = static_cast<std::uint64_t>(state.range(0));
  std::uint64_t found = 0;
  for (auto _ : state) {
    const std::uint64_t checkpoint = stream.Apply(EventKind::kCheckpoint);
    for (std::uint64_t i = 0; i < in_window; ++i) stream.Apply(EventKind::kAlloc, kLiveFromBefore + 1 + i, 256);
    const auto view = ledger.Since(stream.process(), checkpoint);
    found += view->live.size();
    benchmark::DoNotOptimize(view->peaks.data());
    for (std::uint64_t i = 0; i < in_window; ++i) stream.Apply(EventKind::kFree, kLiveFromBefore + 1 + i);
    stream.Apply(EventKind::kCheckpointEnd, checkpoint);
  }
  if (found != in_window * state.iterations()) state.SkipWithError("the answers missed buffers");
  state.counters["live_from_before"] = static_cast<double>(kLiveFromBefore);
}
BENCHMARK(BM_CheckpointCycle)->Arg(0)->Arg(10)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace memledger
