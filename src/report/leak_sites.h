// leak_sites.h — the ledger's leak sites, largest first, and anomaly sites,
// most frequent first: the order every report lists them in; and what the
// books hold, not leaked, of a process still running where they end.
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
  AnomalyExample example;  // its first anomaly's facts
};

// Sorted by count (descending), then key.
std::vector<AnomalySite> SortedAnomalySites(const Ledger& ledger);

// The buffers of processes still running where the books end (a capture
// without its end record: cut, or still being written; a report's --until):
// live at the end, not leaks.
LeakSiteTotals LiveAtEnd(const Ledger& ledger);

}  // namespace memledger
