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

}  // namespace memledger
