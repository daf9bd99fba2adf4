// export_command.cc — see export_command.h.
#include "export_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include "export/chrome_trace_export.h"
#include "export/collapsed_export.h"
#include "export/csv_export.h"
#include "report/frame_roles.h"
#include "output_file.h"

namespace memledger {

int ExportCommand(const ExportOptions& options) {
  std::optional<OutputFile> file;
  if (!options.output.empty()) {
    file.emplace(options.output);
    if (!file->ok()) {
      std::fprintf(stderr, "memledger export: %s\n", file->error().c_str());
      return 1;
    }
  }
  std::ostream& out = file ? file->stream() : std::cout;
  for (const std::string& pattern : options.stacks.skip_patterns) {
    FrameRoles check;
    std::string error;
    if (!check.AddAllocatorPattern(pattern, &error)) {
      std::fprintf(stderr, "memledger export: --skip-frames %s: %s (left out)\n", pattern.c_str(), error.c_str());
    }
  }
  ExportResult exported;
  if (options.format == "csv") {
    exported = ExportCsv(options.capture, options.scope, options.stacks, out);
  } else if (options.format == "collapsed") {
    exported = ExportCollapsed(options.capture, options.at == "peak" ? CollapsedAt::kPeak : CollapsedAt::kEnd,
                               options.scope, options.stacks, out);
  } else {
    exported = ExportChromeTrace(options.capture, options.scope, options.stacks, options.max_slices, out);
  }
  const ReplayResult& result = exported.replay;
  if (!result.opened) {
    std::fprintf(stderr, "memledger export: %s\n", result.error.c_str());
    return 1;
  }
  // A cut file exports what is whole, and says so.
  if (!result.problem.empty()) std::fprintf(stderr, "memledger export: %s\n", result.problem.c_str());
  for (const std::string& note : exported.notes) std::fprintf(stderr, "memledger export: %s\n", note.c_str());
  if (file) {
    if (!file->Commit()) {
      std::fprintf(stderr, "memledger export: %s\n", file->error().c_str());
      return 1;
    }
    return 0;
  }
  out.flush();
  if (!out) {
    std::fprintf(stderr, "memledger export: writing standard output failed: %s\n", std::strerror(errno));
    return 1;
  }
  return 0;
}

}  // namespace memledger
