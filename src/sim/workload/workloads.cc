// workloads.cc — the workload table (names, descriptions, default options)
// and what the options mean for threads and seeds.
#include "sim/workload/workload.h"

#include <string>

namespace memledger::sim {
namespace {

WorkloadOptions Defaults(std::uint32_t threads, std::uint64_t iterations, std::uint32_t devices,
                         std::uint64_t leaks) {
  WorkloadOptions options;
  options.threads = threads;
  options.iterations = iterations;
  options.devices = devices;
  options.leaks = leaks;
  return options;
}

}  // namespace

const std::vector<Workload>& Workloads() {
  static const std::vector<Workload> workloads = {
      {"llm",
       "Decode steps of a language model split over several devices: weights, paged KV cache, activations and "
       "circular buffers per layer op, one mark per step. --iterations: decode steps per thread. --oom: the KV "
       "cache keeps every finished batch until DRAM is exhausted (grow_kv_cache); a device's first failure stops "
       "its threads.",
       Defaults(0, 800, 2, 0), RunLlm, true},
      {"reuse-storm",
       "Threads on one tiny L1 arena hand buffers to each other, so frees race reallocations of the same address. "
       "--iterations: alloc/free pairs per thread.",
       Defaults(4, 100000, 1, 0), RunReuseStorm, false},
      {"leaky",
       "Ordinary traffic plus deliberate leaks from leak_weights, leak_kv_cache and leak_activation. "
       "--iterations: traffic rounds per thread.",
       Defaults(1, 2000, 1, 3), RunLeaky, false},
      {"fragment",
       "Small long-lived L1 buffers (keep_small_state) between large short-lived ones (allocate_scratch), freed so "
       "that holes remain, until a large L1 request (allocate_large_output) fails with ample free L1 in total: "
       "fragmented. The threads of a device take turns, so a seed gives the same failures. --iterations: steps per "
       "thread at most (a thread stops at its first failure).",
       Defaults(8, 2000, 2, 0), RunFragment, false},
      {"cb-clash",
       "A model whose q/k/v activations outlive their op (keep_activations_alive, tag attention_qkv, a mark per "
       "step) until the circular buffers of its sdpa program clash with them. The threads of a device take turns. "
       "--iterations: steps per thread at most (a thread stops at its first failure).",
       Defaults(8, 2000, 2, 0), RunCbClash, false},
  };
  return workloads;
}

std::uint32_t ThreadCount(const WorkloadOptions& options) {
  return options.threads == 0 ? options.devices : options.threads;
}

std::uint32_t DeviceThreadCount(const WorkloadOptions& options, std::uint32_t device) {
  const std::uint32_t threads = ThreadCount(options);
  return threads / options.devices + (device < threads % options.devices ? 1 : 0);
}

std::uint64_t ThreadSeed(const WorkloadOptions& options, std::uint32_t thread) {
  return options.seed * 1000003 + thread;
}

std::string GateProblem(const WorkloadOptions& options) {
  if (options.hold_truth.empty() || options.hold_at_iteration < options.iterations) return {};
  return "--hold-at-iteration " + std::to_string(options.hold_at_iteration) + " is not below --iterations " +
         std::to_string(options.iterations) + ": no thread would get there";
}

bool DeviceUidsFit(const WorkloadOptions& options) {
  return options.device_uids.size() <= 1 || options.device_uids.size() == options.devices;
}

std::string DeviceUid(const WorkloadOptions& options, std::uint32_t device) {
  const std::vector<std::string>& uids = options.device_uids;
  if (uids.empty()) return {};
  if (uids.size() == options.devices) return uids[device];
  return uids.front() + "-" + std::to_string(device);  // a prefix
}

}  // namespace memledger::sim
