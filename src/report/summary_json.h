// summary_json.h — the ledger as the summary schema (memledger.summary/1),
// the one JSON shape every memledger front end emits and reads:
//   {"schema":"memledger.summary/1","events","dropped_events","processes":[...],
//    "devices":[...],"anomalies":{...},"leaks":{"buffers","bytes","sites":[...]}}
// See docs/architecture.md for every field.
#pragma once

#include <string>
#include <string_view>

#include "ledger/ledger.h"
#include "symbolize/stack_symbols.h"

namespace memledger {

// Pretty-printed (2-space indent) summary of `ledger`. `extra_sections`, when
// given, is a JSON object whose members are added at the top level (e.g. the
// server's own "server" section). Leak sites' stacks are symbolized with
// `symbols` (a server's BackgroundSymbolizer), else with a fresh Symbolizer.
std::string SummaryJson(const Ledger& ledger, std::string_view extra_sections = {},
                        StackSymbols* symbols = nullptr);

}  // namespace memledger
