// reuse_storm.cc — the reuse-storm workload: many threads, one tiny L1 arena,
// buffers handed between threads. First fit hands a freed address to the very
// next allocation, so frees race reallocations of the same address; under
// HookOrder::kLateFree the free hook runs after that reallocation.
#include <atomic>
#include <optional>
#include <random>
#include <thread>

#include "sim/buffer.h"
#include "sim/workload/buffer_exchange.h"
#include "sim/workload/device_session.h"
#include "sim/workload/leak_plan.h"
#include "sim/workload/run_threads.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {
namespace {

constexpr std::uint32_t kBanks = 4;
constexpr std::uint64_t kPage = 1024;
constexpr std::uint64_t kMaxPages = 8;
// Bytes the largest buffer reserves in each bank.
constexpr std::uint64_t kMaxFootprint = (kMaxPages + kBanks - 1) / kBanks * kPage;
// Allocation attempts (each after handing a buffer back) before an iteration
// is given up as out of memory.
constexpr int kAllocationAttempts = 64;

// Room for the buffers in the threads' hands (threads), in the exchange
// (threads), the leaks, and as much again as the threads hold for
// fragmentation — no more, so addresses are reused all the time.
std::uint64_t ArenaBankSize(std::uint32_t threads, std::uint64_t leaks) {
  return (3 * static_cast<std::uint64_t>(threads) + leaks + 8) * kMaxFootprint;
}

}  // namespace

WorkloadResult RunReuseStorm(const WorkloadOptions& options) {
  const std::uint32_t threads = ThreadCount(options);
  std::atomic<std::uint64_t> out_of_memory{0};
  WorkloadGates gates(options, threads);
  WorkloadResult result;
  result.truth = RunOnDevices(TinyL1Arena(kBanks, ArenaBankSize(threads, options.leaks)), options,
                              [&](const Devices& devices) {
    gates.AtStart(devices);
    BufferExchange exchange(threads);
    RunThreads(threads, [&](std::uint32_t thread) {
      Device& device = *devices[thread % devices.size()];
      std::mt19937_64 random(ThreadSeed(options, thread));
      std::uniform_int_distribution<std::uint64_t> pages(1, kMaxPages);
      // Allocates, handing buffers back to the exchange (freeing them) while
      // the arena is full. Only the last attempt, given up on, is a failure
      // booked: the ones that make room first are the workload's own retries.
      const auto allocate = [&]() -> std::optional<Buffer> {
        const std::uint64_t size = pages(random) * kPage - kPage / 2;
        for (int attempt = 0; attempt < kAllocationAttempts; ++attempt) {
          const OnFailure on_failure = attempt + 1 == kAllocationAttempts ? OnFailure::kBook : OnFailure::kQuiet;
          if (std::optional<Buffer> buffer = Buffer::Allocate(device, MemType::kL1, size, kPage, on_failure)) {
            return buffer;
          }
          if (!exchange.Take()) std::this_thread::yield();
        }
        out_of_memory.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
      };
      LeakPlan leaks(options.leaks, threads, thread, options.iterations);
      const auto leak = [&](std::uint64_t) {
        if (std::optional<Buffer> buffer = allocate()) buffer->Leak();
      };
      for (std::uint64_t iteration = 0; iteration < options.iterations; ++iteration) {
        gates.AtIteration(iteration, devices);
        leaks.MakeDue(iteration, leak);
        if (std::optional<Buffer> buffer = allocate()) exchange.Trade(std::move(*buffer));  // frees the oldest
      }
      leaks.MakeDue(options.iterations, leak);
    });
    while (exchange.Take()) {
      // each buffer taken is deallocated here
    }
  });
  result.out_of_memory = out_of_memory.load(std::memory_order_relaxed);
  return result;
}

}  // namespace memledger::sim
