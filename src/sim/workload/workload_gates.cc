// workload_gates.cc — the gate files and the SIGUSR1 count they wait for.
#include "sim/workload/workload_gates.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "sim/truth.h"

namespace memledger::sim {
namespace {

// SIGUSR1s received: the handler only counts (a lock-free atomic is
// async-signal-safe); the gates poll it, so whichever thread takes the
// signal, no wakeup is missed.
std::atomic<std::uint32_t> g_go_signals{0};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

void CountGoSignal(int) { g_go_signals.fetch_add(1, std::memory_order_relaxed); }

void WaitForGoSignal(std::uint32_t nth) {
  while (g_go_signals.load(std::memory_order_relaxed) < nth) usleep(1000);
}

void WriteWhole(const Devices& devices, const std::string& path) {
  WriteTruthJson(TakeTruth(devices), path + ".partial");
  std::rename((path + ".partial").c_str(), path.c_str());
}

}  // namespace

WorkloadGates::WorkloadGates(const WorkloadOptions& options, std::uint32_t threads)
    : start_path_(options.checkpoint_truth),
      hold_path_(options.hold_truth),
      hold_at_(options.hold_at_iteration),
      threads_(threads),
      hold_signal_(start_path_.empty() ? 1 : 2) {
  if (start_path_.empty() && hold_path_.empty()) return;
  struct sigaction action{};
  action.sa_handler = CountGoSignal;
  sigaction(SIGUSR1, &action, nullptr);
}

void WorkloadGates::AtStart(const Devices& devices) {
  if (start_path_.empty()) return;
  WriteWhole(devices, start_path_);
  WaitForGoSignal(1);
}

void WorkloadGates::AtIteration(std::uint64_t iteration, const Devices& devices) {
  if (iteration != hold_at_ || hold_path_.empty()) return;
  // acq_rel: the last thread to arrive sees every other thread's allocations
  // (made before its increment) when it takes the truth.
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) WriteWhole(devices, hold_path_);
  WaitForGoSignal(hold_signal_);
}

}  // namespace memledger::sim
