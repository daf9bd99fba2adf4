// sim_overhead_bench.cc — BM_SimLlmOverhead: whole-program cost of tracking.
// Each repetition runs `memledger-sim llm` untracked and then tracked
// (MEMLEDGER=1, embedded consumer, no capture file), alternating so that
// drift on the machine hits both alike; the counters are the wall times and
// their ratio, whose median across repetitions is the figure of merit.
#include <benchmark/benchmark.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <fcntl.h>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string SimPath() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string dir(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return dir.substr(0, dir.rfind('/') + 1) + "memledger-sim";
}

// Wall seconds of one run, or a negative number when it failed.
double RunSim(bool tracked) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var(*e);
    if (var.rfind("MEMLEDGER", 0) != 0 && var.rfind("TT_ALLOC_TRACKING", 0) != 0) env_storage.push_back(var);
  }
  if (tracked) {
    env_storage.push_back("MEMLEDGER=1");
    env_storage.push_back("MEMLEDGER_REPORT=0");
  }
  std::vector<char*> env;
  for (std::string& var : env_storage) env.push_back(var.data());
  env.push_back(nullptr);
  const std::string sim = SimPath();
  std::string workload = "llm";
  char* argv[] = {const_cast<char*>(sim.c_str()), workload.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const auto start = std::chrono::steady_clock::now();
  pid_t pid;
  if (posix_spawn(&pid, sim.c_str(), &actions, nullptr, argv, env.data()) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void BM_SimLlmOverhead(benchmark::State& state) {
  double untracked = 0, tracked = 0;
  for (auto _ : state) {
    untracked = RunSim(false);
    tracked = RunSim(true);
    if (untracked <= 0 || tracked <= 0) {
      state.SkipWithError("memledger-sim llm failed");
      return;
    }
    state.SetIterationTime(tracked);
  }
  state.counters["untracked_s"] = untracked;
  state.counters["tracked_s"] = tracked;
  state.counters["ratio"] = tracked / untracked;
}
BENCHMARK(BM_SimLlmOverhead)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
