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
#include "symbolize/symbolizer.h"

namespace memledger {

std::string OverTimeText(const Ledger& ledger, const CaptureAnalysis& analysis, Symbolizer& symbolizer);

// The members "window", "peaks", "top_sites" and "growth", as a JSON object
// whose members a report adds to its Summary (see docs/architecture.md,
// "Summary JSON").
nlohmann::json OverTimeSections(const Ledger& ledger, const CaptureAnalysis& analysis, Symbolizer& symbolizer);

}  // namespace memledger
