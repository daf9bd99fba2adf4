// status_command.h — `memledger status`: a one-shot view of a running
// server's books, as tables — per device its memory types (in the text
// report's order), then a row per process and device (process_table.h),
// fitted to the terminal when stdout is one — or as the summary JSON.
#pragma once

#include <string>

namespace memledger {

struct StatusOptions {
  std::string socket;  // empty: the default path
  bool json = false;
};

int StatusCommand(const StatusOptions& options);

}  // namespace memledger
