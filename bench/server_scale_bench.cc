// server_scale_bench.cc — BM_ServerIngest/N: one `memledger serve` tracking
// N processes at once (64 and 256; issue 19: server scale), each a
// `memledger-sim leaky` handing its ring to the server, all started
// together. Counters: the events the server booked and their rate over the
// whole run (wall, from the first start to the server's answer once all
// exited: the machine's two cores shared by the clients and the server, so
// this is what such a machine does, not the server's limit); the server's
// own CPU per event (utime + stime from /proc, 10 ms ticks) and the rate
// one consumer thread could take at that cost (1e9 / ns per event: its
// limit on a machine with cores to spare for the clients); the server's
// peak memory, and per client its own memory (anonymous, at the end: the
// books it keeps of an ended process) and the rings' pages it had mapped
// (the peak beyond its own memory and files: the rings are unmapped as
// their processes end).
#include <benchmark/benchmark.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "child_process.h"

namespace memledger::bench {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t kEventsPerClient = 200'000;  // leaky: about 8 events a round

// A field of /proc/PID/status in KiB ("VmHWM:", "RssAnon:", "RssShmem:").
double StatusKiB(pid_t pid, const std::string& field) {
  std::istringstream lines(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size()));
  }
  return 0;
}

// The process's user + system CPU seconds so far (/proc/PID/stat).
double CpuSeconds(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t comm_end = stat.rfind(')');
  if (comm_end == std::string::npos || comm_end + 2 > stat.size()) return 0;  // gone
  std::istringstream fields(stat.substr(comm_end + 2));  // after "(comm) "
  std::string field;
  double ticks = 0;
  for (int i = 3; fields >> field && i <= 15; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The server's books once it has drained every ring (`memledger status --json` makes it).
nlohmann::json ServerSummary(const std::string& socket_path, const fs::path& dir) {
  const std::string out = (dir / "status.json").string();
  fs::remove(out);
  const pid_t status = Spawn({BinDir() + "/memledger", "status", "--socket", socket_path, "--json"},
                             CleanEnvironment({}), out, (dir / "status.err").string());
  if (status < 0 || !ExitedCleanly(status)) return {};
  return nlohmann::json::parse(ReadFile(out), nullptr, false);
}

void BM_ServerIngest(benchmark::State& state) {
  const auto clients = static_cast<std::size_t>(state.range(0));
  const fs::path dir = fs::temp_directory_path() / ("memledger-scale-bench-" + std::to_string(getpid()));
  for (auto _ : state) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string socket_path = (dir / "server.sock").string();
    const pid_t server = StartServer(socket_path, (dir / "server.err").string());
    if (server < 0) return state.SkipWithError("the server did not start");
    const double anon_before = StatusKiB(server, "RssAnon:");
    const double cpu_before = CpuSeconds(server);
    const auto start = std::chrono::steady_clock::now();
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < clients; ++i) {
      pids.push_back(Spawn({BinDir() + "/memledger-sim", "leaky", "--leaks", "1", "--iterations",
                            std::to_string(kEventsPerClient / 8)},
                           CleanEnvironment({"MEMLEDGER=1", "MEMLEDGER_REPORT=0", "MEMLEDGER_SOCKET=" + socket_path}),
                           "/dev/null", (dir / "clients.err").string()));
    }
    bool clients_ok = true;
    for (const pid_t pid : pids) clients_ok = ExitedCleanly(pid) && clients_ok;
    const nlohmann::json summary = ServerSummary(socket_path, dir);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = CpuSeconds(server) - cpu_before;
    const double peak_kib = StatusKiB(server, "VmHWM:");
    const double anon_end = StatusKiB(server, "RssAnon:");
    // The rings are unmapped as their processes end: their share of the peak
    // is what the peak held beyond the server's own memory at the end.
    const double rings_kib = std::max(0.0, peak_kib - anon_end - StatusKiB(server, "RssFile:"));
    kill(server, SIGTERM);
    ExitedCleanly(server);
    if (!clients_ok || !summary.is_object()) {
      state.SkipWithError("a client failed, or the server did not answer");
      break;
    }
    const auto events = summary.value("events", std::uint64_t{0});
    const std::size_t booked = summary.value("processes", nlohmann::json::array()).size();
    state.SetIterationTime(seconds);
    state.counters["events"] = static_cast<double>(events);
    state.counters["processes_booked"] = static_cast<double>(booked);
    state.counters["events_per_s"] = static_cast<double>(events) / seconds;
    state.counters["server_ns_per_event"] = cpu * 1e9 / static_cast<double>(events);
    state.counters["one_thread_max_events_per_s"] = static_cast<double>(events) / cpu;
    state.counters["server_peak_MiB"] = peak_kib / 1024;
    state.counters["own_KiB_per_client"] = (anon_end - anon_before) / static_cast<double>(clients);
    state.counters["rings_KiB_per_client"] = rings_kib / static_cast<double>(clients);
  }
  fs::remove_all(dir);
}
BENCHMARK(BM_ServerIngest)->Arg(64)->Arg(256)->Iterations(1)->Repetitions(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace
}  // namespace memledger::bench
