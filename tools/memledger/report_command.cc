// report_command.cc — see report_command.h.
#include "report_command.h"

#include <cstdio>

#include "capture/replay.h"
#include "report/summary_json.h"
#include "report/text_report.h"

namespace memledger {

int ReportCommand(const ReportOptions& options) {
  Ledger ledger;
  const ReplayResult replay = ReplayCapture(options.capture, ledger);
  if (!replay.opened) {
    std::fprintf(stderr, "memledger report: %s\n", replay.error.c_str());
    return 1;
  }
  // A cut or damaged file still reports what is whole, and says so.
  if (!replay.problem.empty()) std::fprintf(stderr, "memledger report: %s\n", replay.problem.c_str());
  const std::string text =
      options.json ? SummaryJson(ledger) + "\n" : options.leaks_only ? LeakReport(ledger) : TextReport(ledger);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace memledger
