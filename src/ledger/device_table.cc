// device_table.cc — see device_table.h.
#include "ledger/device_table.h"

namespace memledger {

std::optional<std::uint16_t> DeviceTable::Find(std::string_view uid, std::uint16_t number) {
  if (uid.empty()) {
    if (by_number_.size() <= number) by_number_.resize(number + 1, kNoDevice);
    std::uint16_t& id = by_number_[number];
    if (id == kNoDevice) id = Make(number);
    return id;
  }
  std::string key(uid);  // (absl here hashes no std::string_view)
  if (const auto it = by_uid_.find(key); it != by_uid_.end()) return it->second;
  if (devices_.size() >= kMaxLedgerDevices) return std::nullopt;
  const std::uint16_t id = Make(number);
  devices_[id].uid = key;
  by_uid_.emplace(std::move(key), id);
  return id;
}

std::uint16_t DeviceTable::Make(std::uint16_t preferred) {
  std::size_t id = preferred;
  if (id < devices_.size() && devices_[id].seen) id = devices_.size();
  if (devices_.size() <= id) devices_.resize(id + 1);
  devices_[id].seen = true;
  return static_cast<std::uint16_t>(id);
}

}  // namespace memledger
