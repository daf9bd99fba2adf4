// run_in_turns.h — RunInTurns: the thread loop of the workloads whose
// failures must be the same in every run with one seed (fragment, cb-clash).
// Thread t works on device t % devices; the threads of a device take its
// steps in turn (turns.h), the devices run at once. A thread stops at its
// first failed step; what it holds is released in its turn. (A thread that
// stopped never reaches a later --hold-at-iteration: hold before the first
// failure.)
//
// Thread-safety: call from the workload body's thread; the TurnTakers run on
// their own threads, one step at a time per device.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "sim/workload/device_session.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {

// One thread's work.
class TurnTaker {
 public:
  virtual ~TurnTaker() = default;
  // One step, in the device's turn; false when it failed (the device booked it).
  virtual bool Step(std::uint64_t step) = 0;
  // Releases everything the thread holds, in the device's turn.
  virtual void Finish() = 0;
};

using MakeTurnTaker = std::function<std::unique_ptr<TurnTaker>(std::uint32_t thread, Device& device)>;

// Runs ThreadCount(options) threads of options.iterations steps each (the
// gates' hold at the top of each step) and returns how many stopped at a failure.
std::uint64_t RunInTurns(const WorkloadOptions& options, const Devices& devices, WorkloadGates& gates,
                         const MakeTurnTaker& make);

}  // namespace memledger::sim
