// report_command.h — `memledger report CAPTURE`: the books of a recorded
// process, read back from its capture file (whole or cut), and its memory
// over time: peaks per device × type with what was live then, top allocation
// sites, growth across marks. Text, only the leaks (--leaks), the summary
// JSON with those sections (--json); and, with --html, a self-contained HTML
// timeline besides; within a time window (--since, --until).
#pragma once

#include <string>

namespace memledger {

struct ReportOptions {
  std::string capture;
  bool leaks_only = false;
  bool json = false;
  std::string html;  // write the HTML timeline here; empty: none
  std::string since;  // a time since the capture's first record (seconds_arg.h); empty: none
  std::string until;
};

int ReportCommand(const ReportOptions& options);

}  // namespace memledger
