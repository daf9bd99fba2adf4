// status_command.cc — see status_command.h.
#include "status_command.h"

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/server_query.h"
#include "control/socket_path.h"
#include "report/printable_text.h"
#include "report/text_report.h"
#include "summary_view.h"

namespace memledger {
namespace {
std::string Percent(std::uint64_t used, std::uint64_t total) {
  return total == 0 ? std::string("-") : fmt::format("{:.1f}%", 100.0 * static_cast<double>(used) / static_cast<double>(total));
}

void PrintTable(const nlohmann::json& summary) {
  const auto& server = summary.value("server", nlohmann::json::object());
  const std::size_t processes = summary["processes"].size();
  fmt::print("memledger status — {} process{} tracked, {} events, {} dropped\n", processes, processes == 1 ? "" : "es",
             summary.value("events", 0), summary.value("dropped_events", 0));
  if (!server.empty()) {
    const std::uint64_t clients = server.value("clients", std::uint64_t{0});
    fmt::print("server {}: {} client{}, {:.0f} events/s\n", PrintableText(server.value("socket", "")), clients,
               clients == 1 ? "" : "s", server.value("events_per_second", 0.0));
  }
  for (const auto& device : summary["devices"]) {
    fmt::print("\n{}\n", DeviceHeading(device));
    if (const std::uint64_t conflicts = device.value("conflicts", std::uint64_t{0}); conflicts != 0) {
      fmt::print("  described otherwise by {} open(s) (device_conflict): its first opener's description stands\n",
                 conflicts);
    }
    fmt::print("  {:<14} {:>11} {:>11} {:>7} {:>11}\n", "type", "used", "total", "use", "peak");
    for (const auto& [type, counters] : device["types"].items()) {
      const std::uint64_t used = counters["live_bytes"];
      const std::uint64_t total = device["capacity"].value(type, std::uint64_t{0});
      fmt::print("  {:<14} {:>11} {:>11} {:>7} {:>11}\n", PrintableText(type), FormatBytes(used), total ? FormatBytes(total) : "-",
                 Percent(used, total), FormatBytes(counters["peak_bytes"]));
    }
  }
  fmt::print("\n  {:>8} {:>6} {:<16} {:<8} {:<8} {:>11} {:>10} {:>12}\n", "pid", "uid", "process", "state",
             "devices", "using", "events", "leaked");
  std::string notes;
  for (const auto& process : summary["processes"]) {
    std::uint64_t using_bytes = 0;
    for (const auto& device : process["devices"]) {
      for (const auto& [type, held] : device["types"].items()) using_bytes += held["live_bytes"].get<std::uint64_t>();
    }
    const auto& uid = process.value("uid", nlohmann::json());
    fmt::print("  {:>8} {:>6} {:<16} {:<8} {:<8} {:>11} {:>10} {:>12}\n", process["pid"].get<std::uint64_t>(),
               uid.is_number() ? std::to_string(uid.get<std::uint64_t>()) : "-", PrintableText(process["comm"].get<std::string>()),
               process["state"].get<std::string>(), DeviceColumn(process), FormatBytes(using_bytes),
               process["events"].get<std::uint64_t>(), FormatBytes(process["leaked_bytes"]));
    if (process["state"] == "released") {
      notes += fmt::format("  pid {} took its ring back when this server stopped draining it, and has not handed it "
                           "back: these books stop there, what it held is not counted as leaked, and how it ended "
                           "is in its own exit report\n", process["pid"].get<std::uint64_t>());
    } else if (const auto handover = process.find("handover"); handover != process.end()) {
      notes += fmt::format(
          "  pid {} came back after its server went away: {} buffers ({}) carried over, {} records accounted in "
          "the process meanwhile, {} frees of buffers from before (not in these books)\n",
          process["pid"].get<std::uint64_t>(), (*handover)["carried_buffers"].get<std::uint64_t>(),
          FormatBytes((*handover)["carried_bytes"]), (*handover)["records_elsewhere"].get<std::uint64_t>(),
          (*handover)["missed_frees"].get<std::uint64_t>());
    }
  }
  if (!notes.empty()) fmt::print("\n{}", notes);
  std::string anomalies;
  for (const auto& [kind, count] : summary["anomalies"].items()) {
    if (count.get<std::uint64_t>() != 0) anomalies += fmt::format("{}{} {}", anomalies.empty() ? "" : ", ", kind, count.get<std::uint64_t>());
  }
  fmt::print("\nanomalies: {}\n", anomalies.empty() ? "none" : anomalies);
}

}  // namespace

int StatusCommand(const StatusOptions& options) {
  const std::string path = options.socket.empty() ? DefaultSocketPath() : options.socket;
  std::string error;
  const auto json = QuerySummary(path, &error);
  if (!json) {
    std::fprintf(stderr, "memledger status: %s\n", error.c_str());
    return 1;
  }
  if (options.json) {
    std::fwrite(json->data(), 1, json->size(), stdout);
    std::fputc('\n', stdout);
    return 0;
  }
  // A reply that is not the summary JSON this build reads is an error, not a crash.
  const nlohmann::json summary = nlohmann::json::parse(*json, nullptr, /*allow_exceptions=*/false);
  try {
    if (!summary.is_object()) throw std::runtime_error("not a JSON object");
    PrintTable(summary);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "memledger status: the server at %s answered with a summary this build cannot read (%s); "
                         "`memledger status --json` prints it as it came\n", PrintableText(path).c_str(), e.what());
    return 1;
  }
  return 0;
}

}  // namespace memledger
