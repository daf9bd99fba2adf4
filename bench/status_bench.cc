// status_bench.cc — BM_StatusSummary: what `memledger status` costs the
// server with 1 M live buffers across 64 processes (the summary JSON the query
// returns), beside BM_LedgerValidate, a full walk of the same live table, as
// the baseline for "touches every buffer".
#include <benchmark/benchmark.h>

#include <memory>

#include "event/record.h"
#include "ledger/ledger.h"
#include "report/summary_json.h"

namespace memledger {
namespace {

constexpr std::uint32_t kProcesses = 64;
constexpr std::uint64_t kBuffers = 1 << 20;

std::unique_ptr<Ledger> LedgerWithLiveBuffers() {
  auto ledger = std::make_unique<Ledger>();
  for (std::uint32_t p = 0; p < kProcesses; ++p) {
    const ProcessIndex process = ledger->BeginProcess(1000 + p, "worker");
    for (std::uint64_t i = 0; i < kBuffers / kProcesses; ++i) {
      Event e{};
      e.seq = i + 1;
      e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
      e.device = static_cast<std::uint16_t>(p % 8);
      e.type = static_cast<std::uint8_t>(i % 4);
      e.buffer_id = i + 1;
      e.address = (i + 1) * 0x1000;
      e.size = 0x1000;
      ledger->Apply(process, Record{e, {}});
    }
  }
  return ledger;
}

void BM_StatusSummary(benchmark::State& state) {
  const auto ledger = LedgerWithLiveBuffers();
  for (auto _ : state) benchmark::DoNotOptimize(SummaryJson(*ledger));
  state.counters["live_buffers"] = static_cast<double>(ledger->live_buffer_count());
}
BENCHMARK(BM_StatusSummary)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

void BM_LedgerValidate(benchmark::State& state) {
  const auto ledger = LedgerWithLiveBuffers();
  for (auto _ : state) benchmark::DoNotOptimize(ledger->Validate());
}
BENCHMARK(BM_LedgerValidate)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

}  // namespace
}  // namespace memledger
