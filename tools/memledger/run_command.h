// run_command.h — `memledger run`: runs a program with tracking on in
// embedded mode — it and every process it starts, each with a capture of
// its own (run_captures.h) — waits until the whole tree has exited, then
// reads the captures back for the summary. With --cuda, the program runs
// with the CUDA interposer preloaded (docs/integrations/cuda.md).
#pragma once

#include <string>
#include <vector>

#include "capture/capture_segments.h"
#include "fail_on.h"

namespace memledger {

struct RunOptions {
  std::string output;        // capture path; empty: memledger.<program>.<pid>.mlcap
  std::string summary_json;  // write the summary schema here; empty: none
  bool cuda = false;         // put libmemledger_cuda.so first in LD_PRELOAD
  FailOn fail_on;            // --fail-on: what the books of the run must not show
  SegmentBounds segments;    // cut each process's capture into segments (--rotate-*, --keep); none: one file
  std::vector<std::string> command;
};

// Returns the program's exit status (128 + signal when it was killed); when
// that is 0, kFailOnExitStatus when the books show what --fail-on names, 1
// when a capture could not be written whole (a full disk) or the summary
// could not be written; or 127 when it could not be started
// (with --cuda: when libmemledger_cuda.so is not beside this executable, in
// ../lib, ../lib64 or ../lib/<multiarch>).
int RunCommand(const RunOptions& options);

}  // namespace memledger
