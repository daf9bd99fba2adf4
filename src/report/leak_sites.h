// leak_sites.h — the ledger's leak sites, largest first, and anomaly sites,
// most frequent first: the order every report lists them in.
#pragma once

#include <vector>

#include "ledger/ledger.h"

namespace memledger {

struct LeakSite {
  LeakSiteKey key;
  LeakSiteTotals totals;
};

// Sorted by bytes, then buffers (descending), then key, so output is stable.
std::vector<LeakSite> SortedLeakSites(const Ledger& ledger);

struct AnomalySite {
  AnomalySiteKey key;
  std::uint64_t count;
};

// Sorted by count (descending), then key.
std::vector<AnomalySite> SortedAnomalySites(const Ledger& ledger);

}  // namespace memledger
