// summary_json.h — the ledger as the summary schema (memledger.summary/1),
// the one JSON shape every memledger front end emits and reads:
//   {"schema":"memledger.summary/1","events","dropped_events","processes":[...],
//    "devices":[...],"anomalies":{...},"leaks":{"buffers","bytes","sites":[...]}}
// See docs/architecture.md for every field.
#pragma once

#include <string>

#include "ledger/ledger.h"

namespace memledger {

// Pretty-printed (2-space indent) summary of `ledger`.
std::string SummaryJson(const Ledger& ledger);

}  // namespace memledger
