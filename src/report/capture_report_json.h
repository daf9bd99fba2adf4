// capture_report_json.h — a replayed capture's report as JSON: the summary
// schema (summary_json.h), the over-time sections (over_time_report.h) and
// the "capture" section about the file itself. What `memledger report --json`
// prints and memledger.Capture.report() returns, made here once for both.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

// The capture ends without the process's end record (cut, or still being
// written), not at a window's end: the process was running when it ends.
bool RunningAtEnd(const Ledger& ledger, const ReplayResult& replay);

// The report of a capture replayed into `ledger` with `analysis` following
// (ReplayAnalyzed); its "capture" section names the file (the first, and
// all of them with the segments, for a run cut into several). Sites
// are named by `stacks`: render twice with one SiteStacks and use the second
// (the first reads every site the report lists, so that each is named the
// same in every section, apart from all others).
nlohmann::json CaptureReportJson(const ReplayResult& replay, const Ledger& ledger, const CaptureAnalysis& analysis,
                                 SiteStacks& stacks);

}  // namespace memledger
