// report_bench.cc — reading a 100M-event capture: BM_ReportCapture100M is
// `memledger report CAPTURE` (summary, peaks with what was live then, leaks,
// top sites, growth) as a user runs it, wall time (target ≤ 15 s);
// BM_ReadCapture100M, its baseline, only decompresses the same file's chunks.
// The capture is `memledger-sim llm --host-work 0` run long enough for 100M
// events, written once into build/bench-data/ and reused; its size per event
// is a counter (target ≤ 8 bytes).
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "capture/capture_format.h"
#include "capture/capture_reader.h"
#include "child_process.h"

namespace memledger::bench {
namespace {

constexpr std::uint64_t kTargetEvents = 100'000'000;
constexpr const char* kIterations = "48200";  // ~2,090 events per decode step of 2 devices

// The 100M-event capture, made on first use ("" when it could not be made).
const std::string& Capture100M() {
  static const std::string path = [] {
    const std::string dir = BinDir() + "/../bench-data";
    // Named by the format's version: a capture written by an older build is not this one's.
    const std::string file = dir + "/llm-100m.v" + std::to_string(kCaptureVersion) + ".mlcap";
    if (std::filesystem::exists(file)) return file;
    std::filesystem::create_directories(dir);
    const std::string partial = file + ".partial";
    std::fprintf(stderr, "report_bench: writing %s (about a minute, once)\n", file.c_str());
    const pid_t pid = Spawn({BinDir() + "/memledger-sim", "llm", "--iterations", kIterations, "--host-work", "0",
                             "--leaks", "100"},
                            CleanEnvironment({"MEMLEDGER=1", "MEMLEDGER_REPORT=0", "MEMLEDGER_OUTPUT=" + partial}));
    if (pid < 0 || !ExitedCleanly(pid)) return std::string();
    std::filesystem::rename(partial, file);
    return file;
  }();
  return path;
}

void BM_ReadCapture100M(benchmark::State& state) {
  const std::string& path = Capture100M();
  if (path.empty()) return state.SkipWithError("could not make the capture");
  std::uint64_t slots_read = 0, file_bytes = 0;
  for (auto _ : state) {
    std::string error;
    auto reader = CaptureReader::Open(path, &error);
    if (!reader) return state.SkipWithError(error.c_str());
    std::vector<Event> slots;
    slots_read = 0;
    while (reader->NextChunk(&slots)) slots_read += slots.size();
    file_bytes = reader->file_bytes();
  }
  // A slot is an event record (a few records, marks and names, take more than one).
  state.counters["slots"] = static_cast<double>(slots_read);
  state.counters["bytes_per_slot"] = static_cast<double>(file_bytes) / static_cast<double>(slots_read);
  if (slots_read < kTargetEvents) state.SkipWithError("the capture holds fewer than 100M events");
}
BENCHMARK(BM_ReadCapture100M)->Iterations(1)->Repetitions(3)->Unit(benchmark::kSecond);

void BM_ReportCapture100M(benchmark::State& state) {
  const std::string& path = Capture100M();
  if (path.empty()) return state.SkipWithError("could not make the capture");
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = Spawn({BinDir() + "/memledger", "report", path}, CleanEnvironment({}));
    if (pid < 0 || !ExitedCleanly(pid)) return state.SkipWithError("memledger report failed");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  struct stat st {};
  stat(path.c_str(), &st);
  state.counters["file_MB"] = static_cast<double>(st.st_size) / 1e6;
}
BENCHMARK(BM_ReportCapture100M)->Iterations(1)->Repetitions(3)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memledger::bench
