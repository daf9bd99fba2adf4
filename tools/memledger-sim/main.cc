// main.cc — memledger-sim: runs one simulated device workload, reporting
// through memledger's hooks (tracking is on when MEMLEDGER=1), and prints a
// one-line summary. Exit status: 0 done, 1 the run failed, 2 bad command line.
#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "sim/host_work.h"
#include "sim/workload/workload.h"

namespace {

using memledger::sim::BufferIdentity;
using memledger::sim::HookOrder;
using memledger::sim::Workload;
using memledger::sim::WorkloadOptions;

constexpr int kBadCommandLine = 2;

// "I/N" with N >= 1 and I < N: part I of N (bank_region.h, RegionPart).
std::optional<memledger::sim::RegionPart> ParsePartition(const std::string& text) {
  unsigned index = 0;
  unsigned count = 0;
  char slash = 0;
  char rest = 0;
  if (std::sscanf(text.c_str(), "%u%c%u%c", &index, &slash, &count, &rest) != 3 || slash != '/' || count == 0 ||
      count > 64 || index >= count) {
    return std::nullopt;
  }
  return memledger::sim::RegionPart{index, count};
}

// One workload's command line: its options, and the enum flags as spelled.
struct CommandLine {
  WorkloadOptions options;
  std::string hook_order = "correct";
  std::string identity = "id";
  double host_work_scale = 1.0;
  std::string l1_partition = "0/1";

  // The options with the spelled flags applied (both were checked by CLI11).
  WorkloadOptions Resolved() const {
    WorkloadOptions resolved = options;
    resolved.hooks.order = hook_order == "late-free" ? HookOrder::kLateFree : HookOrder::kCorrect;
    resolved.hooks.identity = identity == "address" ? BufferIdentity::kAddress : BufferIdentity::kId;
    resolved.partition = ParsePartition(l1_partition).value_or(memledger::sim::RegionPart{});
    return resolved;
  }
};

void AddCommonFlags(CLI::App& command, CommandLine& line) {
  WorkloadOptions& options = line.options;
  command.add_option("--threads", options.threads, "Worker threads; 0 = one per device")
      ->check(CLI::Range(0u, 256u))
      ->capture_default_str();
  command.add_option("--iterations", options.iterations, "Iterations per thread (see the workload)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
      ->capture_default_str();
  command.add_option("--devices", options.devices, "Simulated devices")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  command.add_option("--leaks", options.leaks, "Buffers deliberately never freed")
      ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{1'000'000}))
      ->capture_default_str();
  command.add_option("--seed", options.seed, "Random seed")->capture_default_str();
  command.add_option("--hook-order", line.hook_order,
                     "correct: free hook before the address is released; late-free: after it (a deliberate bug)")
      ->check(CLI::IsMember({"correct", "late-free"}))
      ->capture_default_str();
  command.add_option("--identity", line.identity,
                     "id: buffers pass their unique id; address: buffer_id 0, the address is the identity")
      ->check(CLI::IsMember({"id", "address"}))
      ->capture_default_str();
  command.add_option("--truth-json", options.truth_json,
                     "Write the allocator's own view (schema memledger.truth/2: live memory, and every allocation "
                     "failure with the free space and the live blocks then) here just before the devices close");
  command.add_option("--l1-partition", line.l1_partition,
                   "I/N: this process's allocators manage only part I of N equal parts of each banked region (DRAM, "
                   "TRACE, L1, L1_SMALL; bank-local), while the whole space is declared: N processes can share one "
                   "device (one --device-uid, through a server) without placing buffers on top of each other")
      ->check([](const std::string& text) {
        return ParsePartition(text) ? std::string() : "expected I/N with 0 <= I < N <= 64, e.g. 1/2";
      })
      ->capture_default_str();
  command.add_option("--host-work", line.host_work_scale,
                     "Scale of the modelled host work per op (1: ~15 us like a ttnn op; 0: none, to make large "
                     "captures fast)")
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  command.add_option("--device-uid", options.device_uids,
                     "What the devices are physically, as a GPU's UUID would say (repeat once per device, or give one "
                     "prefix for several: PREFIX-0, PREFIX-1, ...); processes that open one uid share its books");
  // The gates (sim/workload/workload_gates.h).
  command.add_option("--checkpoint-truth", options.checkpoint_truth,
                     "Start gate: once set up (devices open; llm: weights loaded), write the truth here and wait for "
                     "SIGUSR1 before the first iteration (crash and reconnect tests; many clients started at once)");
  CLI::Option* hold_truth =
      command.add_option("--hold-truth", options.hold_truth,
                         "Hold: every thread stops at the top of iteration --hold-at-iteration; the truth is written "
                         "here and they wait for the next SIGUSR1 (the first if there is no start gate)");
  command.add_option("--hold-at-iteration", options.hold_at_iteration, "Where --hold-truth holds the threads")
      ->needs(hold_truth)
      ->capture_default_str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("memledger-sim — a simulated accelerator runtime that reports device memory to memledger.\n"
               "Usage: memledger-sim WORKLOAD [flags]");
  app.footer("Example:\n  MEMLEDGER=1 memledger-sim llm --devices 2 --truth-json truth.json\n"
             "  memledger-sim reuse-storm --threads 8 --hook-order late-free --identity address\n"
             "  memledger-sim leaky --checkpoint-truth ready.json &  # then, when ready.json appears: kill -USR1 $!\n"
             "  MEMLEDGER=1 memledger-sim fragment --seed 7 --truth-json truth.json  # why did L1 run out?\n"
             "  memledger-sim fragment --device-uid chip --l1-partition 1/2  # the second of two processes on chip-0, chip-1\n"
             "Run 'memledger-sim WORKLOAD --help' for a workload's flags.");
  app.require_subcommand(1);

  const std::vector<Workload>& workloads = memledger::sim::Workloads();
  std::vector<CommandLine> lines;
  lines.reserve(workloads.size());
  std::vector<CLI::App*> commands;
  for (const Workload& workload : workloads) {
    CLI::App* command = app.add_subcommand(workload.name, workload.description);
    CommandLine& line = lines.emplace_back(CommandLine{workload.defaults});
    AddCommonFlags(*command, line);
    if (workload.has_oom_flag) {
      command->add_flag("--oom", line.options.oom,
                        "Drive the workload until DRAM is exhausted: a device's first failure stops its threads");
    }
    commands.push_back(command);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int status = app.exit(error);
    return status == 0 ? 0 : kBadCommandLine;
  }

  for (std::size_t i = 0; i < workloads.size(); ++i) {
    if (!commands[i]->parsed()) continue;
    const WorkloadOptions chosen = lines[i].Resolved();
    if (!memledger::sim::DeviceUidsFit(chosen)) {
      fmt::print(stderr, "memledger-sim {}: --device-uid was given {} times for {} device(s): give it once per device, "
                         "or once as a prefix\n", workloads[i].name, chosen.device_uids.size(), chosen.devices);
      return kBadCommandLine;
    }
    if (const std::string problem = memledger::sim::GateProblem(chosen); !problem.empty()) {
      fmt::print(stderr, "memledger-sim {}: {}\n", workloads[i].name, problem);
      return kBadCommandLine;
    }
    memledger::sim::SetHostWorkScale(lines[i].host_work_scale);
    try {
      const auto start = std::chrono::steady_clock::now();
      const memledger::sim::WorkloadResult result = workloads[i].run(chosen);
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      fmt::print("memledger-sim {}: {} device(s), {} thread(s), {} iterations in {:.2f} s; allocs {}, frees {}, "
                 "leaked {} buffers ({} bytes), out of memory {}, failures booked {}\n",
                 workloads[i].name, chosen.devices, memledger::sim::ThreadCount(chosen),
                 chosen.iterations, elapsed.count(), result.truth.allocs, result.truth.frees,
                 result.truth.leaked_buffers, result.truth.leaked_bytes, result.out_of_memory,
                 result.truth.failures_total);
      return 0;
    } catch (const std::exception& error) {
      fmt::print(stderr, "memledger-sim {}: error: {}\n", workloads[i].name, error.what());
      return 1;
    }
  }
  return kBadCommandLine;  // unreachable: require_subcommand(1)
}
