// html_render_bench.cc — how long the HTML timeline takes to draw in
// headless Chromium (the page's own performance.now() from navigation start
// to every chart drawn): BM_HtmlRender10MChanges, a synthetic page of 10M
// buffer changes (target ≤ 3 s), beside BM_HtmlRender20kChanges, a small page,
// as the baseline of what any page costs. bench/html_render.py drives the
// browser; the pages are written once into build/bench-data/.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.h"

namespace memledger::bench {
namespace {

// One load of a page of `changes` changes in a fresh browser: the page's
// draw time in seconds, or a negative number when it could not be measured.
double RenderSeconds(std::int64_t changes) {
  const std::string dir = BinDir() + "/../bench-data";
  std::filesystem::create_directories(dir);
  const std::string out = dir + "/html-render.out";
  std::remove(out.c_str());
  const pid_t pid = Spawn({"/usr/bin/python3", MEMLEDGER_SOURCE_DIR "/bench/html_render.py", "--writer",
                           BinDir() + "/write_synthetic_html", "--chromium", MEMLEDGER_CHROMIUM, "--dir",
                           dir, "--changes", std::to_string(changes)},
                          CleanEnvironment({}), out);
  if (pid < 0 || !ExitedCleanly(pid)) return -1;
  std::ifstream in(out);
  double ms = -1;
  return in >> ms ? ms / 1000.0 : -1;
}

void BM_HtmlRender(benchmark::State& state) {
  for (auto _ : state) {
    const double seconds = RenderSeconds(state.range(0));
    if (seconds < 0) return state.SkipWithError("the page could not be drawn (see bench/html_render.py)");
    state.SetIterationTime(seconds);
  }
}
BENCHMARK(BM_HtmlRender)->Name("BM_HtmlRender20kChanges")->Arg(20'000)->Iterations(1)->Repetitions(3)
    ->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_HtmlRender)->Name("BM_HtmlRender10MChanges")->Arg(10'000'000)->Iterations(1)->Repetitions(3)
    ->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace memledger::bench
