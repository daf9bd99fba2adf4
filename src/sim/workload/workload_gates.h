// workload_gates.h — WorkloadGates: where a test can hold a workload, so that
// what it checks happens after a state it set up, not after a guess of how
// fast the workload runs.
//
//   start gate  (--checkpoint-truth FILE): once the workload is set up (its
//               devices open; llm: its weights loaded), before any thread runs
//               an iteration;
//   hold        (--hold-at-iteration I --hold-truth FILE): every workload
//               thread stops at the top of iteration I.
//
// At each, what the devices hold is written to the gate's FILE (whole: written
// aside, then renamed; schema memledger.truth/2), then the workload waits for
// SIGUSR1 to go on. Gates open in order, one SIGUSR1 each: the start gate the
// first, the hold the next. A test sends the next SIGUSR1 only after the
// gate's file appeared (two standard signals sent at once may arrive as one);
// any other signal (SIGKILL: a crash test) ends the process at the gate.
//
// Thread-safety: AtStart from the thread that runs the workload body, before
// its threads start; AtIteration from the workload's threads, concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "sim/workload/device_session.h"
#include "sim/workload/workload.h"

namespace memledger::sim {

class WorkloadGates {
 public:
  // `threads`: how many threads run the iterations (all must reach the hold).
  // Installs the SIGUSR1 handler when any gate is asked for.
  WorkloadGates(const WorkloadOptions& options, std::uint32_t threads);

  // The start gate, when options.checkpoint_truth asks for it.
  void AtStart(const Devices& devices);
  // At the top of each iteration: the hold, when this is options.hold_at_iteration
  // and options.hold_truth asks for it. The last thread to arrive writes the file.
  void AtIteration(std::uint64_t iteration, const Devices& devices);

 private:
  const std::string start_path_;
  const std::string hold_path_;
  const std::uint64_t hold_at_;
  const std::uint32_t threads_;
  const std::uint32_t hold_signal_;  // which SIGUSR1 opens the hold: 1 without a start gate, else 2
  std::atomic<std::uint32_t> arrived_{0};  // threads at the hold
};

}  // namespace memledger::sim
