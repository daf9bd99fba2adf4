// ingest_bench.cc — BM_ConsumerIngest: events per second from a full ring
// into the ledger on one core through the consumers' own loop (RingDrain:
// drain, reassemble, stamp, account, mark processed; no capture), beside
// BM_ConsumerDrainOnly, the transport's share of that cost (drain and
// reassemble only). BM_ConsumerIngest/1 is the same with the device's DRAM
// address space declared (issue 16: every alloc and free also updates the
// space's free-space map), /2 with a checkpoint open throughout (issue 17:
// every alloc goes into the young log, every free marks it), /3 writing
// every slot into a capture file as an embedded consumer with
// MEMLEDGER_OUTPUT does (issue 19: the writer keeps up, ≥ 10 M events/s on
// one core), /0 with none of these, side by side in one run.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "capture/capture_writer.h"
#include "client/config.h"
#include "event/record.h"
#include "ledger/ledger.h"
#include "consumer/ring_drain.h"
#include "ledger/process_stream.h"
#include "ring/ring_consumer.h"
#include "ring/ring_ownership.h"

namespace memledger {
namespace {

// A full ring of the size a server drains by default (the largest default).
const std::uint64_t kRingSlots = kServerRingSlots;
constexpr std::uint64_t kLiveWorkingSet = 4096;  // buffers live at once

// Fills the ring as an allocator's callers would: allocations, each freed
// kLiveWorkingSet events later, at addresses that get reused.
void FillRing(EventRing& ring, std::uint64_t& next_id) {
  for (std::uint64_t n = 0; n + 1 < kRingSlots; n += 2) {
    const std::uint64_t id = next_id++;
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
    e.type = MEMLEDGER_DRAM;
    e.buffer_id = id;
    e.address = 0x10000 * (id % (2 * kLiveWorkingSet));
    e.size = 0x8000;
    e.thread = 1;
    ring.Publish(ring.Claim(1), e);
    if (id > kLiveWorkingSet) {
      e.kind = static_cast<std::uint8_t>(EventKind::kFree);
      e.buffer_id = id - kLiveWorkingSet;
      e.address = 0x10000 * ((id - kLiveWorkingSet) % (2 * kLiveWorkingSet));
      e.size = 0;
    }
    ring.Publish(ring.Claim(1), e);
  }
}

// Device 0 opened with a DRAM space over every address FillRing uses, as a
// banked device declares it (8 banks, 32-byte pages: a 32 KiB buffer is 128
// granules of the map).
void DeclareDramSpace(Ledger& ledger, ProcessIndex process) {
  DeviceDescription device{"bench", {{MEMLEDGER_DRAM, 0x10000 * 2 * kLiveWorkingSet}}};
  device.address_spaces = {{MEMLEDGER_DRAM, MEMLEDGER_DRAM, 8, 32, 0, 0x10000 * 2 * kLiveWorkingSet}};
  const std::string payload = EncodeDeviceDescription(device);
  Event open{};
  open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
  open.payload_bytes = static_cast<std::uint32_t>(payload.size());
  ledger.Apply(process, Record{open, payload});
}

// A checkpoint before every record the ring will bring (seq 0).
void OpenCheckpoint(Ledger& ledger, ProcessIndex process) {
  Event checkpoint{};
  checkpoint.kind = static_cast<std::uint8_t>(EventKind::kCheckpoint);
  ledger.Apply(process, Record{checkpoint, {}});
}

void BM_ConsumerIngest(benchmark::State& state) {
  std::string error;
  auto ring = EventRing::Create(kRingSlots, OnFull::kBlock, &error);
  Ledger ledger;
  const ProcessIndex process = ledger.BeginProcess(1, "bench");
  if (state.range(0) == 1) DeclareDramSpace(ledger, process);
  if (state.range(0) == 2) OpenCheckpoint(ledger, process);
  const std::string capture_path = (std::filesystem::temp_directory_path() / "memledger-ingest-bench.mlcap").string();
  std::unique_ptr<CaptureWriter> capture;
  if (state.range(0) == 3) {
    capture = CaptureWriter::Open(capture_path, CaptureStart{1, "bench", 0, {}}, &error);
    if (!capture) return state.SkipWithError(error.c_str());
  }
  RingDrain drain(*ring, TakeRing(ring->header()), process, ProcessRecord::kApply, std::move(capture));
  std::uint64_t next_id = 1, events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    FillRing(*ring, next_id);
    state.ResumeTiming();
    while (const std::size_t n = drain.DrainBatch(ledger)) events += n;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
  state.counters["live_buffers"] = static_cast<double>(ledger.live_buffer_count());
  if (state.range(0) == 3) {
    drain.Finish(ledger, RingDrain::End::kAbandoned, &error);  // closes the capture: its last chunk written
    state.counters["capture_bytes_per_event"] =
        static_cast<double>(std::filesystem::file_size(capture_path)) / static_cast<double>(events);
    std::filesystem::remove(capture_path);
  }
  if (const FreeSpaceMap* map = ledger.FreeSpace(0, MEMLEDGER_DRAM)) {
    state.counters["free_bytes"] = static_cast<double>(map->Figures().free_bytes);
  }
}

void BM_ConsumerDrainOnly(benchmark::State& state) {
  std::string error;
  auto ring = EventRing::Create(kRingSlots, OnFull::kBlock, &error);
  RingConsumer consumer(*ring, TakeRing(ring->header()));
  RecordAssembler assembler;
  std::vector<Event> batch(RingDrain::kBatchSlots);
  std::uint64_t next_id = 1, events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    FillRing(*ring, next_id);
    state.ResumeTiming();
    while (const std::size_t n = consumer.Drain(batch)) {
      for (std::size_t i = 0; i < n; ++i) benchmark::DoNotOptimize(assembler.Push(batch[i]));
      consumer.MarkProcessed();
      events += n;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(events));
}
BENCHMARK(BM_ConsumerIngest)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);
BENCHMARK(BM_ConsumerDrainOnly)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

}  // namespace
}  // namespace memledger
