// run_in_turns.cc — threads that take turns on their device.
#include "sim/workload/run_in_turns.h"

#include <atomic>
#include <vector>

#include "sim/workload/run_threads.h"
#include "sim/workload/turns.h"

namespace memledger::sim {

std::uint64_t RunInTurns(const WorkloadOptions& options, const Devices& devices, WorkloadGates& gates,
                         const MakeTurnTaker& make) {
  const auto device_count = static_cast<std::uint32_t>(devices.size());
  std::vector<std::unique_ptr<Turns>> turns;
  for (std::uint32_t device = 0; device < device_count; ++device) {
    turns.push_back(std::make_unique<Turns>(DeviceThreadCount(options, device)));
  }
  std::atomic<std::uint64_t> failed{0};
  RunThreads(ThreadCount(options), [&](std::uint32_t thread) {
    Turns& device_turns = *turns[thread % device_count];
    const std::uint32_t player = thread / device_count;
    const std::unique_ptr<TurnTaker> taker = make(thread, *devices[thread % device_count]);
    std::uint64_t step = 0;
    for (; step < options.iterations; ++step) {
      gates.AtIteration(step, devices);
      device_turns.Wait(player);
      if (!taker->Step(step)) break;
      device_turns.Pass(player);
    }
    if (step < options.iterations) {
      failed.fetch_add(1, std::memory_order_relaxed);  // still in its turn
    } else {
      device_turns.Wait(player);
    }
    taker->Finish();
    device_turns.Leave(player);
  });
  return failed.load(std::memory_order_relaxed);
}

}  // namespace memledger::sim
