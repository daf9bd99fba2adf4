// report_scope.h — what a text report lists: every device and memory type,
// or one of each (`memledger report --device N --type NAME`), and how many
// sites each list of sites shows (--top N). The books' totals (counts of
// anomalies, processes) are the whole ledger's whatever the scope.
//
// Plain data; thread-safe as the ledger's readers are.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "ledger/ledger.h"

namespace memledger {

struct ReportScope {
  std::optional<std::size_t> device;  // ledger-wide device number
  std::optional<std::string> type;    // a memory type's name ("DRAM", "L1", a pool's)
  std::size_t top = 5;                // sites per list (top sites, growth, anomalies), pools whose peaks are shown

  // Whether `device` (ledger-wide) and `type` (ledger-wide type index) are in scope.
  bool Shows(const Ledger& ledger, std::size_t device_id, std::size_t type_index) const {
    return (!device || *device == device_id) && (!type || *type == ledger.type_name(type_index));
  }
  bool whole() const { return !device && !type; }
};

}  // namespace memledger
