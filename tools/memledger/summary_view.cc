// summary_view.cc — see summary_view.h.
#include "summary_view.h"

#include <fmt/format.h>

#include <cstdint>

#include "report/names.h"
#include "report/printable_text.h"

namespace memledger {

std::string DeviceHeading(const nlohmann::json& device) {
  const auto& uid = device.value("uid", nlohmann::json());
  return PrintableText(DeviceLabel(device["device"].get<std::uint64_t>(), device.value("name", ""),
                                   uid.is_string() ? uid.get<std::string>() : ""));
}

std::string DeviceColumn(const nlohmann::json& process) {
  std::string ids;
  for (const auto& device : process.value("devices", nlohmann::json::array())) {
    ids += fmt::format("{}{}", ids.empty() ? "" : ",", device["device"].get<std::uint64_t>());
  }
  return ids.empty() ? "-" : ids;
}

}  // namespace memledger
