// cb_clash.cc — the cb-clash workload: "Statically allocated circular
// buffers ... clash with L1 buffers". A decode loop whose attention inputs
// outlive the op that used them: keep_activations_alive allocates q, k and v
// in L1 (top-down, tag "attention_qkv") and keeps them to the end of the
// thread, as a model that holds on to tensors it no longer needs. Each step
// also has a short-lived hidden state (allocate_hidden_state, tag
// "activations") and launches the sdpa program, whose circular buffers are
// laid out from L1's base upwards; the kept activations creep down until that
// CB region reaches the lowest of them and the launch fails (booked as a
// cb_clash). Each thread marks each step ("step N (thread T)") and takes its
// device's turn (run_in_turns.h); a thread stops at its first failure.
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "memledger/memledger.hpp"
#include "sim/allocation_site.h"
#include "sim/buffer.h"
#include "sim/program.h"
#include "sim/workload/device_session.h"
#include "sim/workload/run_in_turns.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kTile = 2048;
constexpr std::uint64_t kQkvPerCore = 8 << 10;      // each of q, k, v
constexpr std::uint64_t kHiddenPerCore = 16 << 10;
constexpr std::uint64_t kCbTiles = 32;               // per circular buffer: 64 KiB per core
constexpr std::uint32_t kHostWorkPerOp = 16;

std::optional<Buffer> AllocateL1(Device& device, std::uint64_t per_core) {
  return Buffer::Allocate(device, MemType::kL1, per_core * device.allocator(MemType::kL1)->region().banks, kTile);
}

// q, k and v of this step, kept alive past the attention that consumed them.
// False when L1 could not hold them.
[[gnu::noinline]] bool keep_activations_alive(Device& device, std::vector<Buffer>& kept) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("attention_qkv");
  for (int tensor = 0; tensor < 3; ++tensor) {
    std::optional<Buffer> buffer = AllocateL1(device, kQkvPerCore);
    if (!buffer) return false;
    kept.push_back(std::move(*buffer));
  }
  return true;
}

[[gnu::noinline]] std::optional<Buffer> allocate_hidden_state(Device& device) {
  ScopedAllocationSite site(__func__);
  ScopedTag tag("activations");
  return AllocateL1(device, kHiddenPerCore);
}

// One thread: the activations it keeps alive.
class OutlivingThread : public TurnTaker {
 public:
  OutlivingThread(Device& device, const Program& sdpa, std::uint32_t thread)
      : device_(device), sdpa_(sdpa), thread_(thread) {}

  bool Step(std::uint64_t step) override {
    Mark(fmt::format("step {} (thread {})", step, thread_).c_str());
    std::optional<Buffer> hidden = allocate_hidden_state(device_);
    if (!hidden) return false;
    if (!keep_activations_alive(device_, kept_)) return false;
    return sdpa_.Launch(device_);
  }

  void Finish() override { kept_.clear(); }

 private:
  Device& device_;
  const Program& sdpa_;
  const std::uint32_t thread_;
  std::vector<Buffer> kept_;
};

}  // namespace

WorkloadResult RunCbClash(const WorkloadOptions& options) {
  // Four input/output circular buffers of kCbTiles tiles: a 256 KiB CB region per core.
  const Program sdpa("sdpa_decode", {{"sdpa/reader", 1536}, {"sdpa/writer", 1536}, {"sdpa/compute", 8192}},
                     std::vector<CircularBufferSpec>(4, {kCbTiles * kTile, kTile}), kHostWorkPerOp);
  WorkloadGates gates(options, ThreadCount(options));
  WorkloadResult result;
  result.truth = RunOnDevices(WormholeB0(), options, [&](const Devices& devices) {
    gates.AtStart(devices);
    result.out_of_memory = RunInTurns(options, devices, gates, [&](std::uint32_t thread, Device& device) {
      return std::make_unique<OutlivingThread>(device, sdpa, thread);
    });
  });
  return result;
}

}  // namespace memledger::sim
