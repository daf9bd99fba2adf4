// text_report.h — the human-readable usage summary and leak report, as
// printed at exit in embedded mode and by `memledger run` and `memledger report`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

namespace memledger {

// "0 B", "1.5 KiB", "12.0 GiB".
std::string FormatBytes(std::uint64_t bytes);
// Usage per device and type, anomalies (by site, with stacks), then leaks by
// site, largest first, with their symbolized allocation stacks. `running`
// is what a process still running where the books end is called (a replayed
// capture without its end record: "running when the capture ends").
std::string TextReport(const Ledger& ledger, std::string_view running = "running");
// Only the leaks by site (`memledger report --leaks`).
std::string LeakReport(const Ledger& ledger);

}  // namespace memledger
