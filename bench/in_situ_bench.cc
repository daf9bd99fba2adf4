// in_situ_bench.cc — what a real program pays for tracking, not the hook in
// a loop (BM_HookEnabled stays the lower bound beside it). A `memledger-sim`
// workload runs untracked and then tracked (embedded consumer, no capture
// unless asked), alternating, one pair per repetition. Counters, per pair:
//   ratio         tracked wall time / untracked
//   extra_cpu_ns  the whole process's extra CPU per event: user + sys from
//                 wait4's rusage, tracked minus untracked
//   consumer_ns   of that, the consumer thread's (named memledger-drain):
//                 its run time from /proc/PID/task/TID/schedstat, read every
//                 millisecond while the program runs — the last reading
//                 before the thread ends, so at most a millisecond of its
//                 CPU is missed (well under 1 ns per event here)
//   producer_ns   the rest: what the application's own threads spend more
//                 — the hooks, and what sharing cache lines and cores with
//                 the consumer costs them
//   events_per_s  untracked: the workload's density
// Events are the allocator's own count (allocs + frees, --truth-json, which
// both runs write). The benchmark's own reads cost both runs alike (one
// pread per millisecond).
//
// Workloads: llm as shipped (~15 µs of modelled host work per op: a ttnn-
// like runtime; about 1 M events a second untracked), busy (a quarter of
// that host work, three times the steps: about 4 M events a second) and
// dense (llm --host-work 0: every op allocates, nothing else; near 20 M
// events a second, more than any runtime makes).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"

namespace memledger::bench {
namespace {

struct Run {
  double wall_s = 0;
  double cpu_s = 0;       // user + sys, every thread
  double consumer_s = 0;  // the consumer thread's run time (0 untracked)
  std::uint64_t events = 0;
};

double Seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

// An open schedstat of `pid`'s thread named `name`, or -1 while it has none.
int OpenThreadSchedstat(pid_t pid, const std::string& name) {
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    std::ifstream comm(task.path() / "comm");
    std::string comm_name;
    if (std::getline(comm, comm_name) && comm_name == name) {
      return open((task.path() / "schedstat").c_str(), O_RDONLY | O_CLOEXEC);
    }
  }
  return -1;
}

// The first field of an open schedstat: nanoseconds on a CPU; nullopt once
// the thread is gone.
std::optional<double> RunSeconds(int fd) {
  char text[128];
  const ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  return static_cast<double>(std::strtoull(text, nullptr, 10)) * 1e-9;
}

// One run of memledger-sim `args` with `tracking` added to a clean
// environment; nullopt when it failed.
std::optional<Run> RunSim(const std::vector<std::string>& args, const std::vector<std::string>& tracking) {
  const std::string truth = std::filesystem::temp_directory_path() / ("memledger-in-situ-" + std::to_string(getpid()));
  std::vector<std::string> argv{BinDir() + "/memledger-sim"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--truth-json", truth});
  Run run;
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = Spawn(argv, CleanEnvironment(tracking));
  if (pid < 0) return std::nullopt;
  int consumer = -1;
  int status = 0;
  rusage usage{};
  for (;;) {
    const pid_t done = wait4(pid, &status, WNOHANG, &usage);
    if (done == pid) break;
    if (done < 0) return std::nullopt;
    if (!tracking.empty() && consumer < 0) consumer = OpenThreadSchedstat(pid, "memledger-drain");
    if (consumer >= 0) {
      if (const auto seconds = RunSeconds(consumer)) run.consumer_s = *seconds;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  run.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (consumer >= 0) close(consumer);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  run.cpu_s = Seconds(usage.ru_utime) + Seconds(usage.ru_stime);
  std::ifstream file(truth);
  const auto json = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  std::filesystem::remove(truth);
  if (!json.is_object()) return std::nullopt;
  run.events = json.value("allocs", std::uint64_t{0}) + json.value("frees", std::uint64_t{0});
  return run;
}

void InSitu(benchmark::State& state, const std::vector<std::string>& args, const std::vector<std::string>& tracking) {
  std::optional<Run> untracked, tracked;
  for (auto _ : state) {
    untracked = RunSim(args, {});
    tracked = RunSim(args, tracking);
    if (!untracked || !tracked || tracked->events == 0 || tracked->consumer_s == 0) {
      state.SkipWithError("memledger-sim failed, or its consumer thread was not seen");
      return;
    }
    state.SetIterationTime(tracked->wall_s);
  }
  const double events = static_cast<double>(tracked->events);
  const double extra_cpu = tracked->cpu_s - untracked->cpu_s;
  state.counters["ratio"] = tracked->wall_s / untracked->wall_s;
  state.counters["extra_cpu_ns"] = extra_cpu / events * 1e9;
  state.counters["consumer_ns"] = tracked->consumer_s / events * 1e9;
  state.counters["producer_ns"] = (extra_cpu - tracked->consumer_s) / events * 1e9;
  state.counters["events_per_s"] = events / untracked->wall_s;
}

const std::vector<std::string> kTracked{"MEMLEDGER=1", "MEMLEDGER_REPORT=0"};
const std::vector<std::string> kTrackedStacks{"MEMLEDGER=1", "MEMLEDGER_REPORT=0", "MEMLEDGER_STACKS=1"};
const std::vector<std::string> kLlm{"llm"};
const std::vector<std::string> kBusy{"llm", "--host-work", "0.25", "--iterations", "2400"};
const std::vector<std::string> kDense{"llm", "--host-work", "0"};

void BM_InSituLlm(benchmark::State& state) { InSitu(state, kLlm, kTracked); }
void BM_InSituLlmStacks(benchmark::State& state) { InSitu(state, kLlm, kTrackedStacks); }
void BM_InSituBusy(benchmark::State& state) { InSitu(state, kBusy, kTracked); }
void BM_InSituBusyStacks(benchmark::State& state) { InSitu(state, kBusy, kTrackedStacks); }
void BM_InSituDense(benchmark::State& state) { InSitu(state, kDense, kTracked); }
void BM_InSituDenseStacks(benchmark::State& state) { InSitu(state, kDense, kTrackedStacks); }
// With a capture file written as the program runs (the consumer compresses it).
void BM_InSituLlmCapture(benchmark::State& state) {
  const std::string capture = std::filesystem::temp_directory_path() / "memledger-in-situ.mlcap";
  std::vector<std::string> tracking = kTracked;
  tracking.push_back("MEMLEDGER_OUTPUT=" + capture);
  InSitu(state, kLlm, tracking);
  std::filesystem::remove(capture);
}
BENCHMARK(BM_InSituLlm)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituLlmStacks)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituLlmCapture)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituBusy)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituBusyStacks)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituDense)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_InSituDenseStacks)->Iterations(1)->Repetitions(5)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memledger::bench
