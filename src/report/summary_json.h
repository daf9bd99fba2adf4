// summary_json.h — the ledger as the summary schema (memledger.summary/1),
// the one JSON shape every memledger front end emits and reads:
//   {"schema":"memledger.summary/1","events","dropped_events","processes":[...],
//    "devices":[...],"anomalies":{...},"leaks":{"buffers","bytes","sites":[...]}}
// See docs/architecture.md for every field.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "ledger/ledger.h"
#include "report/site_stack.h"
#include "symbolize/stack_symbols.h"

namespace memledger {

// The summary of `ledger` as a JSON object. Leak sites' stacks are
// symbolized with `symbols` (a server's BackgroundSymbolizer), else with a
// fresh Symbolizer. A front end adds its own sections as members (the
// server's "server", a report's "capture" and OverTimeSections, a run's
// "run") and writes the whole with JsonText(summary, 2): no section is
// written as text and parsed back.
// Each leak and anomaly site has its "headline" (site_stack.h) and its
// whole "stack".
nlohmann::json Summary(const Ledger& ledger, StackSymbols* symbols = nullptr);
// With the sites read and named by `stacks` (a report that adds more sites,
// OverTimeSections, renders twice with one SiteStacks: text_report.h).
nlohmann::json Summary(const Ledger& ledger, SiteStacks& stacks);
// Summary(ledger, symbols) pretty-printed (2-space indent).
std::string SummaryJson(const Ledger& ledger, StackSymbols* symbols = nullptr);

}  // namespace memledger
