// export_command.cc — see export_command.h.
#include "export_command.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include "export/chrome_trace_export.h"
#include "export/collapsed_export.h"
#include "export/csv_export.h"

namespace memledger {

int ExportCommand(const ExportOptions& options) {
  std::ofstream file;
  if (!options.output.empty()) {
    file.open(options.output);
    if (!file) {
      std::fprintf(stderr, "memledger export: cannot write %s\n", options.output.c_str());
      return 1;
    }
  }
  std::ostream& out = options.output.empty() ? std::cout : file;
  ReplayResult result;
  if (options.format == "csv") {
    result = ExportCsv(options.capture, out);
  } else if (options.format == "collapsed") {
    result = ExportCollapsed(options.capture, options.at == "peak" ? CollapsedAt::kPeak : CollapsedAt::kEnd, out);
  } else {
    result = ExportChromeTrace(options.capture, out);
  }
  if (!result.opened) {
    std::fprintf(stderr, "memledger export: %s\n", result.error.c_str());
    return 1;
  }
  // A cut file exports what is whole, and says so.
  if (!result.problem.empty()) std::fprintf(stderr, "memledger export: %s\n", result.problem.c_str());
  out.flush();
  if (!out) {
    std::fprintf(stderr, "memledger export: writing %s failed\n",
                 options.output.empty() ? "standard output" : options.output.c_str());
    return 1;
  }
  return 0;
}

}  // namespace memledger
