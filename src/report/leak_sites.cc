// leak_sites.cc — see leak_sites.h.
#include "report/leak_sites.h"

#include <algorithm>
#include <tuple>

namespace memledger {

std::vector<LeakSite> SortedLeakSites(const Ledger& ledger) {
  std::vector<LeakSite> sites;
  sites.reserve(ledger.leak_sites().size());
  for (const auto& [key, totals] : ledger.leak_sites()) sites.push_back({key, totals});
  std::sort(sites.begin(), sites.end(), [](const LeakSite& a, const LeakSite& b) {
    return std::tie(b.totals.bytes, b.totals.buffers, a.key.process, a.key.device, a.key.type, a.key.tag, a.key.stack) <
           std::tie(a.totals.bytes, a.totals.buffers, b.key.process, b.key.device, b.key.type, b.key.tag, b.key.stack);
  });
  return sites;
}

std::vector<AnomalySite> SortedAnomalySites(const Ledger& ledger) {
  std::vector<AnomalySite> sites;
  sites.reserve(ledger.anomaly_sites().size());
  for (const auto& [key, totals] : ledger.anomaly_sites()) sites.push_back({key, totals.count, totals.example});
  std::sort(sites.begin(), sites.end(), [](const AnomalySite& a, const AnomalySite& b) {
    return std::tie(b.count, a.key.process, a.key.kind, a.key.stack, a.key.alloc_stack) <
           std::tie(a.count, b.key.process, b.key.kind, b.key.stack, b.key.alloc_stack);
  });
  return sites;
}

LeakSiteTotals LiveAtEnd(const Ledger& ledger) {
  LeakSiteTotals live;
  for (std::uint32_t p = 0; p < ledger.processes().size(); ++p) {
    if (ledger.processes()[p].state != ProcessState::kRunning) continue;
    ledger.ForEachLiveOf(static_cast<ProcessIndex>(p), [&](const LiveKey&, const LiveBuffer& buffer) {
      ++live.buffers;
      live.bytes += buffer.size;
    });
  }
  return live;
}

}  // namespace memledger
