// leak_sites.h — the ledger's leak sites, largest first: the order every
// report lists them in.
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

}  // namespace memledger
