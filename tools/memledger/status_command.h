// status_command.h — `memledger status`: a one-shot view of a running
// server's books, as a table (per device and memory type, then per process)
// or as the summary JSON.
#pragma once

#include <string>

namespace memledger {

struct StatusOptions {
  std::string socket;  // empty: the default path
  bool json = false;
};

int StatusCommand(const StatusOptions& options);

}  // namespace memledger
