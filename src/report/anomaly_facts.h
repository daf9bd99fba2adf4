// anomaly_facts.h — an anomaly site's first anomaly in words, as a sanitizer
// states an error: the buffers involved (identity, address range, size, where
// they live) in one sentence, and the events that made it, in the order they
// happened, each with the stack it was recorded with. One wording for every
// renderer (text report, HTML page).
//
// The text is raw (tag and type names are as processes declared them): text
// renderers print it through PrintableText. Free functions; thread-safe as
// the ledger's readers are.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "report/leak_sites.h"

namespace memledger {

// One event of an anomaly: "allocated", "freed", "freed again", ...
struct AnomalyEvent {
  std::string role;
  std::uint64_t seq = 0;    // its sequence number in its process's stream (0: not recorded)
  std::uint32_t stack = 0;  // its stack (0: none)
};

struct AnomalyFacts {
  // "buffer 7, [0x1000, 0x2000) 4.0 KiB on device 0 DRAM, tag weights, was freed twice"
  std::string what;
  std::vector<AnomalyEvent> events;  // in the order they happened
};

AnomalyFacts FactsOf(const Ledger& ledger, const AnomalySite& site);

}  // namespace memledger
