// export_command.h — `memledger export CAPTURE... --format csv|collapsed|chrome`:
// a capture (one file, or the segments of one run read as one history) for
// other tools (spreadsheets, flame graphs, Perfetto).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "export/chrome_trace_export.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

struct ExportOptions {
  std::vector<std::string> capture;  // one file, or segments of one run
  std::string format;           // csv, collapsed, chrome
  std::string at = "end";       // collapsed: end or peak
  std::string output;           // empty: stdout
  StackOptions stacks;          // how frames and sites are named (full, allocator patterns)
  ReportScope scope;            // only this device and type (--device, --type); top unused
  std::size_t max_slices = kDefaultMaxSlices;  // chrome: buffer lifetimes at most
};

int ExportCommand(const ExportOptions& options);

}  // namespace memledger
