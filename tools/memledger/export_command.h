// export_command.h — `memledger export CAPTURE --format csv|collapsed|chrome`:
// a capture file for other tools (spreadsheets, flame graphs, Perfetto).
#pragma once

#include <string>

#include "report/site_stack.h"

namespace memledger {

struct ExportOptions {
  std::string capture;
  std::string format;           // csv, collapsed, chrome
  std::string at = "end";       // collapsed: end or peak
  std::string output;           // empty: stdout
  StackOptions stacks;          // collapsed: how frames are named (full, allocator patterns)
};

int ExportCommand(const ExportOptions& options);

}  // namespace memledger
