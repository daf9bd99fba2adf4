// device_types.h — which memory types a device's books list: those with
// counters (used, or leaked) and those it declared an address space of
// their own for (memledger_address_space), even before their first buffer,
// so that their free space shows. One rule for the text report's table and
// the summary JSON's "types".
//
// Pure; thread-safe as the ledger's readers are.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "ledger/ledger.h"

namespace memledger {

// Ledger-wide type indices, in type order.
inline std::vector<std::size_t> ListedTypes(const DeviceBooks& device) {
  std::vector<std::size_t> types;
  for (const auto& [t, c] : device.types) {
    if (!c.empty()) types.push_back(t);
  }
  for (const DeclaredSpace& space : device.spaces.declared()) {
    if (space.within == space.type) types.push_back(space.type);
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

}  // namespace memledger
