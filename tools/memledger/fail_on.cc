// fail_on.cc — see fail_on.h.
#include "fail_on.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

#include "report/text_report.h"

namespace memledger {

FailOn FailOnFrom(const std::vector<std::string>& kinds) {
  const auto named = [&](const char* kind) { return std::find(kinds.begin(), kinds.end(), kind) != kinds.end(); };
  return FailOn{.leaks = named("leaks"), .anomalies = named("anomalies"), .dropped = named("dropped")};
}

std::vector<std::string> GateFindings(const FailOn& gate, const Ledger& ledger) {
  std::uint64_t leaked_buffers = 0, leaked_bytes = 0, dropped = 0, lost = 0;
  for (const ProcessBooks& books : ledger.processes()) {
    leaked_buffers += books.leaked_buffers;
    leaked_bytes += books.leaked_bytes;
    dropped += books.dropped_events;
    lost += books.lost_slots;
  }
  std::vector<std::string> findings;
  if (gate.leaks && leaked_buffers != 0) {
    findings.push_back(fmt::format("leaks: {} buffer{} ({}) held when {} ended", leaked_buffers,
                                   leaked_buffers == 1 ? "" : "s", FormatBytes(leaked_bytes),
                                   ledger.processes().size() == 1 ? "the process" : "their processes"));
  }
  if (gate.anomalies) {
    std::string kinds;
    std::uint64_t total = 0;
    const AnomalyCounts counts = ledger.anomalies();
    for (int i = 0; i < kAnomalyCount; ++i) {
      if (counts[i] == 0) continue;
      total += counts[i];
      kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", AnomalyName(static_cast<Anomaly>(i)), counts[i]);
    }
    if (total != 0) findings.push_back(fmt::format("anomalies: {} ({})", total, kinds));
  }
  if (gate.dropped && dropped + lost != 0) {
    findings.push_back(fmt::format("dropped: {} event{} not in the books ({} dropped by a full ring, {} lost)",
                                   dropped + lost, dropped + lost == 1 ? "" : "s", dropped, lost));
  }
  return findings;
}

int ApplyGate(const FailOn& gate, const Ledger& ledger, const char* command) {
  const std::vector<std::string> findings = GateFindings(gate, ledger);
  for (const std::string& finding : findings) {
    std::fprintf(stderr, "%s: --fail-on: %s; exit status %d\n", command, finding.c_str(), kFailOnExitStatus);
  }
  return findings.empty() ? 0 : kFailOnExitStatus;
}

}  // namespace memledger
