// report_bench.cc — reading a 100M-event capture: BM_ReportCapture100M is
// `memledger report CAPTURE` (summary, peaks with what was live then, leaks,
// top sites, growth) as a user runs it, wall time (target ≤ 15 s);
// BM_ReadCapture100M, its baseline, only decompresses the same file's chunks.
// BM_HtmlCapture100M makes its HTML page and draws it in Chromium.
// The capture is `memledger-sim llm --host-work 0` run long enough for 100M
// events, written once into build/bench-data/ and reused; its size per event
// is a counter (target ≤ 8 bytes).
#include <benchmark/benchmark.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
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

// The HTML page of the same capture (issue 19, part 4): the report's wall
// time writing it (manual time), its peak memory, the page's size, and how
// long Chromium takes to draw it (bench/html_render.py: from navigation to
// every chart drawn). Beside BM_ReportCapture100M: the page's cost over the
// text report's (a bounded page reads the capture twice).
void BM_HtmlCapture100M(benchmark::State& state) {
  const std::string& path = Capture100M();
  if (path.empty()) return state.SkipWithError("could not make the capture");
  const std::string page = BinDir() + "/../bench-data/llm-100m.html";
  rusage usage{};
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t pid = Spawn({BinDir() + "/memledger", "report", path, "--html", page}, CleanEnvironment({}));
    if (pid < 0 || !ExitedCleanly(pid, &usage)) return state.SkipWithError("memledger report --html failed");
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  struct stat st {};
  stat(page.c_str(), &st);
  state.counters["page_MB"] = static_cast<double>(st.st_size) / 1e6;
  state.counters["report_peak_MiB"] = static_cast<double>(usage.ru_maxrss) / 1024.0;
  const std::string out = BinDir() + "/../bench-data/html-capture.out";
  std::remove(out.c_str());
  const pid_t pid = Spawn({"/usr/bin/python3", MEMLEDGER_SOURCE_DIR "/bench/html_render.py", "--chromium",
                           MEMLEDGER_CHROMIUM, "--page", page},
                          CleanEnvironment({}), out);
  if (pid < 0 || !ExitedCleanly(pid)) return state.SkipWithError("the page could not be drawn (bench/html_render.py)");
  std::ifstream in(out);
  double ms = -1;
  if (!(in >> ms)) return state.SkipWithError("bench/html_render.py printed no draw time");
  state.counters["draw_ms"] = ms;
}
BENCHMARK(BM_HtmlCapture100M)->Iterations(1)->Repetitions(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memledger::bench
