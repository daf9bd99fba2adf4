// run_command.h — `memledger run`: runs a program with tracking on in
// embedded mode — it and every process it starts, each with a capture of
// its own (run_captures.h) — waits until the whole tree has exited, then
// reads the captures back for the summary. With --cuda, the program runs
// with the CUDA interposer preloaded (docs/integrations/cuda.md).
#pragma once

#include <string>
#include <vector>

namespace memledger {

struct RunOptions {
  std::string output;        // capture path; empty: memledger.<program>.<pid>.mlcap
  std::string summary_json;  // write the summary schema here; empty: none
  bool cuda = false;         // put libmemledger_cuda.so first in LD_PRELOAD
  std::vector<std::string> command;
};

// Returns the program's exit status (128 + signal when it was killed); 1
// when it exited 0 but a capture could not be written whole (a full disk)
// or the summary could not be written; or 127 when it could not be started
// (with --cuda: when libmemledger_cuda.so is not beside this executable, in
// ../lib, ../lib64 or ../lib/<multiarch>).
int RunCommand(const RunOptions& options);

}  // namespace memledger
