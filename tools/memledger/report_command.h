// report_command.h — `memledger report CAPTURE...`: the books of a recorded
// process, read back from its capture file (whole or cut) or from segments
// of a capture cut into several (as one history), and its memory
// over time: peaks per device × type with what was live then, top allocation
// sites, growth across marks. Text, only the leaks (--leaks), the summary
// JSON with those sections (--json); and, with --html, a self-contained HTML
// timeline besides; within a time window (--since, --until); --fail-on, a
// gate for CI (fail_on.h). Sites are
// merged and named by the frames shown (--depth, --full-stacks,
// --skip-frames: report/site_stack.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fail_on.h"
#include "report/report_scope.h"
#include "report/site_stack.h"
#include "report/timeline_recorder.h"

namespace memledger {

struct ReportOptions {
  // The capture: one file, or segments of one run (any order: run.*.mlcap).
  std::vector<std::string> capture;
  bool leaks_only = false;
  bool json = false;
  std::string html;    // write the HTML timeline here; empty: none
  // Changes the page keeps whole; a longer history makes a bounded page
  // (timeline_recorder.h) in a second replay.
  std::uint64_t html_changes = TimelineRecorder::kDefaultBudget;
  std::string output;  // write the text (or JSON) report here, not to stdout (-o); empty: stdout
  std::string since;  // a time since the capture's first record (event/quantity_text.h); empty: none
  std::string until;
  StackOptions stacks;  // --depth, --full-stacks, --skip-frames, --no-stacks (depth 0)
  ReportScope scope;    // --device, --type, --top (text reports)
  FailOn fail_on;       // --fail-on: what the books must not show
  std::string map;      // --map DEVICE:TYPE[@TIME]: that address space as a text map, alone (map_command.h)
};

// 0; 1 when the capture cannot be read or the HTML written; 2 for a window
// that cannot be (--since after --until) or a --map that is not DEVICE:TYPE[@TIME]; kFailOnExitStatus when the books
// show what --fail-on names (after the report is printed).
int ReportCommand(const ReportOptions& options);

}  // namespace memledger
