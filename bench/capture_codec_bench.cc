// capture_codec_bench.cc — what a capture costs per event, on disk and in
// the writer, for the two chunk codecs side by side on the same slots:
// BM_CaptureChunkRaw (codec 1, what every capture was before format version
// 3: zstd level 3 over the raw 64-byte slots) and BM_CaptureChunkColumns
// (codec 2, what the writer writes now: slot_columns.h, then the same zstd).
// The slots are those of two recorded runs, made once into build/bench-data/:
// `memledger-sim llm --devices 2 --leaks 3` (/0) and the 8-thread
// `memledger-sim reuse-storm` (/1), the runs docs/benchmarks.md has always
// measured captures by. Counter bytes_per_slot: the chunks' bytes (headers
// included) per slot; items/s: slots a writer thread compresses per second.
// BM_SlotsToColumns and BM_ColumnsToSlots: the transform alone, each way.
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "capture/capture_format.h"
#include "capture/capture_reader.h"
#include "capture/slot_columns.h"
#include "child_process.h"

namespace memledger::bench {
namespace {

struct Workload {
  const char* file;
  std::vector<std::string> args;
};
const Workload kWorkloads[] = {
    {"llm-2dev.mlcap", {"llm", "--devices", "2", "--leaks", "3"}},
    {"reuse-storm-8.mlcap", {"reuse-storm", "--threads", "8"}},
};

// The chunks of workload `index`'s capture, recorded on first use (empty when it could not be).
const std::vector<std::vector<Event>>& Chunks(std::size_t index) {
  static std::vector<std::vector<Event>> chunks[std::size(kWorkloads)];
  static bool made[std::size(kWorkloads)] = {};
  if (made[index]) return chunks[index];
  made[index] = true;
  const Workload& workload = kWorkloads[index];
  const std::string dir = BinDir() + "/../bench-data";
  const std::string path = dir + "/" + workload.file;
  std::filesystem::create_directories(dir);
  if (!std::filesystem::exists(path)) {
    std::vector<std::string> args{BinDir() + "/memledger-sim"};
    args.insert(args.end(), workload.args.begin(), workload.args.end());
    const pid_t pid = Spawn(args, CleanEnvironment({"MEMLEDGER=1", "MEMLEDGER_REPORT=0", "MEMLEDGER_SOCKET=none",
                                                   "MEMLEDGER_OUTPUT=" + path + ".partial"}));
    if (pid < 0 || !ExitedCleanly(pid)) return chunks[index];
    std::filesystem::rename(path + ".partial", path);
  }
  std::string error;
  auto reader = CaptureReader::Open(path, &error);
  if (!reader) return chunks[index];
  std::vector<Event> slots;
  while (reader->NextChunk(&slots)) chunks[index].push_back(slots);
  return chunks[index];
}

// Compresses every chunk of the workload as codec 1 (`columns` false) or 2 does.
void CompressChunks(benchmark::State& state, bool columns) {
  const auto& chunks = Chunks(static_cast<std::size_t>(state.range(0)));
  if (chunks.empty()) return state.SkipWithError("could not record the workload");
  ZSTD_CCtx* zstd = ZSTD_createCCtx();
  // As capture_writer.cc sets them.
  ZSTD_CCtx_setParameter(zstd, ZSTD_c_compressionLevel, kCaptureZstdLevel);
  ZSTD_CCtx_setParameter(zstd, ZSTD_c_checksumFlag, 1);
  std::vector<unsigned char> transformed(kMaxChunkSlots * kSlotBytes);
  std::vector<char> out(ZSTD_compressBound(kMaxChunkSlots * kSlotBytes));
  std::uint64_t slots = 0, bytes = 0;
  for (auto _ : state) {
    slots = bytes = 0;
    for (const std::vector<Event>& chunk : chunks) {
      const std::size_t raw = chunk.size() * kSlotBytes;
      const void* input = chunk.data();
      if (columns) {
        SlotsToColumns(chunk, std::span(transformed).first(raw));
        input = transformed.data();
      }
      const std::size_t n = ZSTD_compress2(zstd, out.data(), out.size(), input, raw);
      if (ZSTD_isError(n)) return state.SkipWithError(ZSTD_getErrorName(n));
      slots += chunk.size();
      bytes += sizeof(ChunkHeader) + n;
    }
  }
  ZSTD_freeCCtx(zstd);
  state.SetItemsProcessed(static_cast<std::int64_t>(slots * state.iterations()));
  state.counters["slots"] = static_cast<double>(slots);
  state.counters["bytes_per_slot"] = static_cast<double>(bytes) / static_cast<double>(slots);
  state.SetLabel(kWorkloads[state.range(0)].file);
}

void BM_CaptureChunkRaw(benchmark::State& state) { CompressChunks(state, false); }
void BM_CaptureChunkColumns(benchmark::State& state) { CompressChunks(state, true); }
BENCHMARK(BM_CaptureChunkRaw)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);
BENCHMARK(BM_CaptureChunkColumns)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

// The columns transform alone, each way, over the llm workload's chunks:
// its share of BM_CaptureChunkColumns, and what reading pays besides zstd.
void TransformChunks(benchmark::State& state, bool to_columns) {
  const auto& chunks = Chunks(0);
  if (chunks.empty()) return state.SkipWithError("could not record the workload");
  std::vector<std::vector<unsigned char>> columns;
  for (const std::vector<Event>& chunk : chunks) {
    columns.emplace_back(chunk.size() * kSlotBytes);
    SlotsToColumns(chunk, columns.back());
  }
  std::vector<Event> slots(kMaxChunkSlots);
  std::uint64_t count = 0;
  for (auto _ : state) {
    for (std::size_t c = 0; c < chunks.size(); ++c) {
      if (to_columns) {
        SlotsToColumns(chunks[c], columns[c]);
      } else {
        ColumnsToSlots(columns[c], std::span(slots).first(chunks[c].size()));
      }
      benchmark::ClobberMemory();
      count += chunks[c].size();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(count));
}
void BM_SlotsToColumns(benchmark::State& state) { TransformChunks(state, true); }
void BM_ColumnsToSlots(benchmark::State& state) { TransformChunks(state, false); }
BENCHMARK(BM_SlotsToColumns)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);
BENCHMARK(BM_ColumnsToSlots)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

}  // namespace
}  // namespace memledger::bench
