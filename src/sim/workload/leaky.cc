// leaky.cc — the leaky workload: ordinary traffic (a DRAM input, an L1 output
// and a program launch per round, all freed) with deliberate leaks spread
// through it, made in turn by leak_weights, leak_kv_cache and leak_activation.
#include <atomic>
#include <random>

#include "memledger/memledger.hpp"
#include "sim/program.h"
#include "sim/workload/device_session.h"
#include "sim/workload/leak_plan.h"
#include "sim/workload/leak_sites.h"
#include "sim/workload/out_of_memory.h"
#include "sim/workload/run_threads.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kPage = 2048;
constexpr std::uint32_t kHostWorkUnits = 4;

}  // namespace

WorkloadResult RunLeaky(const WorkloadOptions& options) {
  const std::uint32_t threads = ThreadCount(options);
  const Program program("eltwise_unary", {{"reader_unary", 2048}, {"writer_unary", 2048}, {"eltwise_sfpu", 6144}},
                        {{8192, kPage}, {8192, kPage}}, kHostWorkUnits);
  std::atomic<std::uint64_t> out_of_memory{0};
  WorkloadGates gates(options, threads);
  WorkloadResult result;
  result.truth = RunOnDevices(WormholeB0(), options, [&](const Devices& devices) {
    gates.AtStart(devices);
    RunThreads(threads, [&](std::uint32_t thread) {
      Device& device = *devices[thread % devices.size()];
      std::mt19937_64 random(ThreadSeed(options, thread));
      std::uniform_int_distribution<std::uint64_t> tiles(1, 64);
      LeakPlan leaks(options.leaks, threads, thread, options.iterations);
      const auto leak = [&](std::uint64_t index) {
        if (!LeakFromSite(device, index)) out_of_memory.fetch_add(1, std::memory_order_relaxed);
      };
      ScopedTag tag("activations");
      for (std::uint64_t iteration = 0; iteration < options.iterations; ++iteration) {
        gates.AtIteration(iteration, devices);
        leaks.MakeDue(iteration, leak);
        try {
          const std::uint64_t size = tiles(random) * kPage;
          Buffer input = AllocateOrThrow(device, MemType::kDram, size, kPage);
          Buffer output = AllocateOrThrow(device, MemType::kL1, size, kPage);
          LaunchOrThrow(program, device);
        } catch (const OutOfMemory&) {
          out_of_memory.fetch_add(1, std::memory_order_relaxed);
        }
      }
      leaks.MakeDue(options.iterations, leak);
    });
  });
  result.out_of_memory = out_of_memory.load(std::memory_order_relaxed);
  return result;
}

}  // namespace memledger::sim
