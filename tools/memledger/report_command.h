// report_command.h — `memledger report CAPTURE`: the books of a recorded
// process, read back from its capture file (whole or cut), and its memory
// over time: peaks per device × type with what was live then, top allocation
// sites, growth across marks. Text, only the leaks (--leaks), the summary
// JSON with those sections (--json); and, with --html, a self-contained HTML
// timeline besides; within a time window (--since, --until). Sites are
// merged and named by the frames shown (--depth, --full-stacks,
// --skip-frames: report/site_stack.h).
#pragma once

#include <string>

#include "report/site_stack.h"

namespace memledger {

struct ReportOptions {
  std::string capture;
  bool leaks_only = false;
  bool json = false;
  std::string html;  // write the HTML timeline here; empty: none
  std::string since;  // a time since the capture's first record (seconds_arg.h); empty: none
  std::string until;
  StackOptions stacks;  // --depth, --full-stacks, --skip-frames
};

int ReportCommand(const ReportOptions& options);

}  // namespace memledger
