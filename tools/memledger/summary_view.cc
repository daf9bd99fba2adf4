// summary_view.cc — see summary_view.h.
#include "summary_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "event/event.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/text_report.h"

namespace memledger {

std::string DeviceHeading(const nlohmann::json& device) {
  const auto& uid = device.value("uid", nlohmann::json());
  return PrintableText(DeviceLabel(device["device"].get<std::uint64_t>(), device.value("name", ""),
                                   uid.is_string() ? uid.get<std::string>() : ""));
}

std::vector<std::string> TypesInReportOrder(const nlohmann::json& device) {
  struct Listed {
    double peak_share;  // -1: no capacity
    int builtin;        // its place among the built-ins; kBuiltinTypeCount: a pool
    std::string name;
  };
  std::vector<Listed> listed;
  const auto& capacity = device.value("capacity", nlohmann::json::object());
  for (const auto& [type, counters] : device["types"].items()) {
    const std::uint64_t bytes = capacity.value(type, std::uint64_t{0});
    const auto peak = static_cast<double>(counters.value("peak_bytes", std::uint64_t{0}));
    const auto builtin = BuiltinTypeFromName(type);
    listed.push_back({bytes == 0 ? -1.0 : peak / static_cast<double>(bytes),
                      builtin ? static_cast<int>(*builtin) : kBuiltinTypeCount, type});
  }
  std::sort(listed.begin(), listed.end(), [](const Listed& a, const Listed& b) {
    return std::tie(b.peak_share, a.builtin, a.name) < std::tie(a.peak_share, b.builtin, b.name);
  });
  std::vector<std::string> names;
  for (Listed& type : listed) names.push_back(std::move(type.name));
  return names;
}

std::uint64_t LiveBytes(const nlohmann::json& types) {
  std::uint64_t bytes = 0;
  for (const auto& [type, counters] : types.items()) bytes += counters.value("live_bytes", std::uint64_t{0});
  return bytes;
}

std::string LargestFree(const nlohmann::json& counters, const std::string& none) {
  const auto it = counters.find("largest_free_block_bytes");
  return it == counters.end() ? none : FormatBytes(it->get<std::uint64_t>());
}

std::uint64_t FailureCount(const nlohmann::json& summary, std::uint64_t device, const std::string& type) {
  std::uint64_t total = 0;
  const auto failures = summary.find("allocation_failures");
  if (failures == summary.end()) return 0;
  for (const auto& count : failures->value("counts", nlohmann::json::array())) {
    if (count.value("device", std::uint64_t{0}) != device) continue;
    if (!type.empty() && count.value("type", "") != type) continue;
    total += count.value("count", std::uint64_t{0});
  }
  return total;
}

std::string CountProcesses(std::uint64_t n) { return fmt::format("{} process{}", n, n == 1 ? "" : "es"); }

}  // namespace memledger
