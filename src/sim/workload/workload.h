// workload.h — the simulated workloads memledger-sim runs, their options and
// results, and the table the command is built from.
//
//   llm          decode steps of a tensor-parallel language model over several
//                devices: weights, a paged KV cache, per-layer activations and
//                circular buffers per op, a mark per step.
//   reuse-storm  threads on one tiny L1 arena handing buffers to each other,
//                so that frees race reallocations of the same address.
//   leaky        ordinary traffic plus deliberate leaks from three named
//                functions (leak_sites.h).
//   fragment     small long-lived L1 buffers between large short-lived ones
//                until a large L1 request fails with ample free in total.
//   cb-clash     a model whose activations outlive their op until a
//                program's circular buffers clash with them.
//   (llm --oom   the llm driven until DRAM is exhausted.)
//
// Every allocation failure is booked (memledger_alloc_failed) and in the
// Truth's failures (truth.h). --l1-partition I/N (RegionPart): the devices'
// allocators manage only part I of N of each banked region, while declaring
// the whole space, so N processes can share one device (one --device-uid)
// without placing buffers on top of each other.
//
// Every workload opens its devices, runs, unloads its programs, takes the
// Truth (written to truth_json when set) and closes the devices.
//
// Thread-safety: each Run function is self-contained; the table is immutable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/bank_region.h"
#include "sim/hook_policy.h"
#include "sim/truth.h"

namespace memledger::sim {

struct WorkloadOptions {
  std::uint32_t threads = 1;     // 0: one per device
  std::uint64_t iterations = 1;  // llm: decode steps per thread; reuse-storm: alloc/free pairs per thread;
                                 // leaky: traffic rounds per thread
  std::uint32_t devices = 1;
  std::uint64_t leaks = 0;       // buffers deliberately never freed
  std::uint64_t seed = 1;
  HookPolicy hooks;
  std::string truth_json;        // empty: no truth file
  // The start gate (workload_gates.h): once set up (llm: its weights loaded),
  // write the truth here and wait for SIGUSR1 to go on (a crash test kills it
  // there and knows exactly what it held; a reconnect test knows what it held
  // before its server died; a test starts many clients' work at once).
  std::string checkpoint_truth;
  // The hold (workload_gates.h): when hold_truth is set, every thread stops at
  // the top of iteration hold_at_iteration (< iterations), the truth is
  // written to hold_truth and they wait for the next SIGUSR1.
  std::uint64_t hold_at_iteration = 0;
  std::string hold_truth;
  // What the devices are physically (memledger.h, memledger_device_description):
  // none; one per device; or, for several devices, one prefix: PREFIX-0, PREFIX-1, ...
  std::vector<std::string> device_uids;
  // Which part of each banked region this process's allocators manage
  // (bank_region.h). Circular buffers are still laid out from L1's base and
  // checked against this process's own L1 buffers only: a partition above
  // the first sees its CB regions over the first's L1 buffers.
  RegionPart partition;
  // llm: admit a new batch of requests every step and never retire the old
  // ones, so the KV cache grows until DRAM is exhausted; a device's first
  // failure stops its threads.
  bool oom = false;
};

struct WorkloadResult {
  Truth truth;
  std::uint64_t out_of_memory = 0;  // allocations or launches the workload gave up on
};

// Why `options` cannot run ("" when it can): a hold past the last iteration.
std::string GateProblem(const WorkloadOptions& options);
// options.threads, with 0 meaning one thread per device.
std::uint32_t ThreadCount(const WorkloadOptions& options);
// Thread `thread` works on device thread % devices, as player thread / devices
// among that device's DeviceThreadCount threads (turns.h).
std::uint32_t DeviceThreadCount(const WorkloadOptions& options, std::uint32_t device);
// The random seed of worker `thread`, derived from options.seed.
std::uint64_t ThreadSeed(const WorkloadOptions& options, std::uint32_t thread);
// Whether options.device_uids fits options.devices (none, one, or one per device).
bool DeviceUidsFit(const WorkloadOptions& options);
// The uid device `device` opens with ("" for none); device_uids must fit.
std::string DeviceUid(const WorkloadOptions& options, std::uint32_t device);

WorkloadResult RunLlm(const WorkloadOptions& options);
WorkloadResult RunReuseStorm(const WorkloadOptions& options);
WorkloadResult RunLeaky(const WorkloadOptions& options);
WorkloadResult RunFragment(const WorkloadOptions& options);
WorkloadResult RunCbClash(const WorkloadOptions& options);

struct Workload {
  const char* name;
  const char* description;
  WorkloadOptions defaults;
  WorkloadResult (*run)(const WorkloadOptions&);
  bool has_oom_flag;  // takes --oom
};

// The workloads with their default options.
const std::vector<Workload>& Workloads();

}  // namespace memledger::sim
