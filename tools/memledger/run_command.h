// run_command.h — `memledger run`: runs a program with tracking on in
// embedded mode, then reads back its capture for the summary.
#pragma once

#include <string>
#include <vector>

namespace memledger {

struct RunOptions {
  std::string output;        // capture path; empty: memledger.<program>.<pid>.mlcap
  std::string summary_json;  // write the summary schema here; empty: none
  std::vector<std::string> command;
};

// Returns the program's exit status (128 + signal when it was killed), or
// 127 when it could not be started.
int RunCommand(const RunOptions& options);

}  // namespace memledger
