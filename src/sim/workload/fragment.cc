// fragment.cc — the fragment workload: first-fit L1 fragmentation, the
// failure tt-metal users meet as "Out of Memory: Not enough space to allocate
// ... L1 buffer across N banks" with plenty of free L1 in total.
//
// Each thread, in its device's turn (run_in_turns.h), per step: a short-lived
// scratch buffer of a random size (allocate_scratch, kept for kScratchSteps
// steps), a small buffer kept to the end (keep_small_state), and a large
// output that is freed at once (allocate_large_output). L1 is placed top-down,
// so the small buffers pin the scratch buffers' holes; the large request
// takes the contiguous space below them until that runs out while the holes
// still add up to far more than it needs. A thread stops at its first
// failure; its buffers go back as it ends.
#include <deque>
#include <optional>
#include <random>
#include <vector>

#include "memledger/memledger.hpp"
#include "sim/allocation_site.h"
#include "sim/buffer.h"
#include "sim/workload/device_session.h"
#include "sim/workload/run_in_turns.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kPage = 2048;
constexpr std::uint64_t kSmallPerCore = 2048;
constexpr std::uint64_t kMinScratchPages = 8;   // per core
constexpr std::uint64_t kMaxScratchPages = 32;  // per core
constexpr std::uint64_t kLargePerCore = 128 << 10;
constexpr std::size_t kScratchSteps = 3;

// An L1 buffer of `per_core` bytes in every bank.
std::optional<Buffer> AllocateL1(Device& device, std::uint64_t per_core) {
  return Buffer::Allocate(device, MemType::kL1, per_core * device.allocator(MemType::kL1)->region().banks, kPage);
}

[[gnu::noinline]] std::optional<Buffer> keep_small_state(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("state");
  return AllocateL1(device, kSmallPerCore);
}

[[gnu::noinline]] std::optional<Buffer> allocate_scratch(Device& device, std::uint64_t per_core) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("scratch");
  return AllocateL1(device, per_core);
}

[[gnu::noinline]] std::optional<Buffer> allocate_large_output(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("output");
  return AllocateL1(device, kLargePerCore);
}

// One thread: the small buffers it keeps and its live scratch buffers.
class FragmentingThread : public TurnTaker {
 public:
  FragmentingThread(Device& device, std::uint64_t seed) : device_(device), random_(seed) {}

  bool Step(std::uint64_t) override {
    std::optional<Buffer> buffer = allocate_scratch(device_, scratch_pages_(random_) * kPage);
    if (!buffer) return false;
    scratch_.push_back(std::move(*buffer));
    std::optional<Buffer> small = keep_small_state(device_);
    if (!small) return false;
    kept_.push_back(std::move(*small));
    if (scratch_.size() > kScratchSteps) scratch_.pop_front();  // freed: a hole between small buffers
    return allocate_large_output(device_).has_value();           // freed at once
  }

  void Finish() override {
    scratch_.clear();
    kept_.clear();
  }

 private:
  Device& device_;
  std::mt19937_64 random_;
  std::uniform_int_distribution<std::uint64_t> scratch_pages_{kMinScratchPages, kMaxScratchPages};
  std::vector<Buffer> kept_;
  std::deque<Buffer> scratch_;  // oldest first
};

}  // namespace

WorkloadResult RunFragment(const WorkloadOptions& options) {
  WorkloadGates gates(options, ThreadCount(options));
  WorkloadResult result;
  result.truth = RunOnDevices(WormholeB0(), options, [&](const Devices& devices) {
    gates.AtStart(devices);
    result.out_of_memory = RunInTurns(options, devices, gates, [&](std::uint32_t thread, Device& device) {
      return std::make_unique<FragmentingThread>(device, ThreadSeed(options, thread));
    });
  });
  return result;
}

}  // namespace memledger::sim
