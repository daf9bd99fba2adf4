// report_command.h — `memledger report CAPTURE`: the books of a recorded
// process, read back from its capture file (whole or cut): the text report,
// only its leaks by site (--leaks), or the summary JSON (--json).
#pragma once

#include <string>

namespace memledger {

struct ReportOptions {
  std::string capture;
  bool leaks_only = false;
  bool json = false;
};

int ReportCommand(const ReportOptions& options);

}  // namespace memledger
