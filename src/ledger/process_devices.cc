// process_devices.cc — see process_devices.h.
#include "ledger/process_devices.h"

#include <algorithm>

namespace memledger {

std::vector<ProcessDevice> DevicesOf(const ProcessBooks& books) {
  std::vector<ProcessDevice> used;
  for (std::size_t local = 0; local < books.device_ids.size(); ++local) {
    const std::uint16_t device = books.device_ids[local];
    if (device == kNoDevice) continue;
    const bool open = books.open_devices.contains(static_cast<std::uint16_t>(local));
    const auto same = std::find_if(used.begin(), used.end(), [&](const ProcessDevice& d) { return d.device == device; });
    if (same != used.end()) {
      same->open |= open;
    } else {
      used.push_back({device, static_cast<std::uint16_t>(local), open});
    }
  }
  std::sort(used.begin(), used.end(), [](const ProcessDevice& a, const ProcessDevice& b) { return a.device < b.device; });
  return used;
}

}  // namespace memledger
