// over_time_report.h — memory over time as report sections, from a
// CaptureAnalysis of a replay: the window read, the peak of every device ×
// memory type with what was live at that instant (by tag and by allocation
// site), the top allocation sites by bytes and by count, and the sites that
// grow from mark to mark. As text (after the books of text_report.h) and as
// JSON members added to the summary schema (`memledger report --json`).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "analysis/capture_analysis.h"
#include "ledger/ledger.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

// Sites merged and named as in text_report.h (render with the same
// SiteStacks as the books before it).
// Only what `scope` shows.
std::string OverTimeText(const Ledger& ledger, const CaptureAnalysis& analysis, SiteStacks& stacks,
                         const ReportScope& scope = {});

// The members "window", "peaks", "top_sites" and "growth", as a JSON object
// whose members a report adds to its Summary (see docs/architecture.md,
// "Summary JSON").
// Sites as the analysis keys them (process, device, type, tag, stack), each
// with its "headline" (site_stack.h) and its whole "stack".
nlohmann::json OverTimeSections(const Ledger& ledger, const CaptureAnalysis& analysis, SiteStacks& stacks);

}  // namespace memledger
