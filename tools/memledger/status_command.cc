// status_command.cc — see status_command.h.
#include "status_command.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "control/server_query.h"
#include "control/socket_path.h"
#include "report/printable_text.h"
#include "report/text_report.h"
#include "process_table.h"
#include "summary_view.h"

namespace memledger {
namespace {
std::string Percent(std::uint64_t used, std::uint64_t total) {
  return total == 0 ? std::string("-") : fmt::format("{:.1f}%", 100.0 * static_cast<double>(used) / static_cast<double>(total));
}

// The terminal's width when stdout is one; 0 (no limit) otherwise.
int TerminalColumns() {
  winsize size{};
  if (isatty(STDOUT_FILENO) == 0 || ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

void PrintTable(const nlohmann::json& summary) {
  const auto& server = summary.value("server", nlohmann::json::object());
  fmt::print("memledger status — {} tracked, {}, {} dropped\n", CountProcesses(summary["processes"].size()),
             Count(summary.value("events", std::uint64_t{0}), "event"), summary.value("dropped_events", 0));
  if (!server.empty()) {
    fmt::print("server {}: {}, {:.0f} events/s\n", PrintableText(server.value("socket", "")),
               Count(server.value("clients", std::uint64_t{0}), "client"), server.value("events_per_second", 0.0));
  }
  for (const auto& device : summary["devices"]) {
    fmt::print("\n{}\n", DeviceHeading(device));
    if (const std::uint64_t conflicts = device.value("conflicts", std::uint64_t{0}); conflicts != 0) {
      bool mapped = false;
      for (const auto& [type, counters] : device["types"].items()) mapped |= LargestFree(counters, "") != "";
      fmt::print("{}\n", DeviceConflictLine(conflicts, mapped));
    }
    if (const auto problem = device.find("space_problem"); problem != device.end()) {
      fmt::print("  an address space refused: {}\n", PrintableText(problem->get<std::string>()));
    }
    // 79 columns: "largest free" is "-" for a type without an address space.
    fmt::print("  {:<14} {:>10} {:>10} {:>10} {:>6} {:>12} {:>8}\n", "type", "live", "peak", "capacity", "in use",
               "largest free", "failures");
    const std::uint64_t number = device["device"].get<std::uint64_t>();
    for (const std::string& type : TypesInReportOrder(device)) {
      const auto& counters = device["types"][type];
      const std::uint64_t live = counters["live_bytes"];
      const std::uint64_t capacity = device["capacity"].value(type, std::uint64_t{0});
      fmt::print("  {:<14} {:>10} {:>10} {:>10} {:>6} {:>12} {:>8}\n", PrintableText(type), FormatBytes(live),
                 FormatBytes(counters["peak_bytes"]), capacity ? FormatBytes(capacity) : "-", Percent(live, capacity),
                 LargestFree(counters, "-"), FailureCount(summary, number, type));
    }
  }
  const ProcessTable table = RenderProcessTable(summary, RowOrder::kMemory, TerminalColumns(), /*utf8=*/true);
  fmt::print("\n{}\n", table.header);
  for (const std::string& row : table.rows) fmt::print("{}\n", row);
  std::string notes;
  for (const auto& process : summary["processes"]) {
    if (process["state"] == "released") {
      notes += fmt::format("  pid {} took its ring back when this server stopped draining it, and has not handed it "
                           "back: these books stop there, what it held is not counted as leaked, and how it ended "
                           "is in its own exit report\n", process["pid"].get<std::uint64_t>());
    } else if (const auto handover = process.find("handover"); handover != process.end()) {
      notes += fmt::format(
          "  pid {} came back after its server went away: {} ({}) carried over, {} accounted in the process "
          "meanwhile, {} of buffers from before (not in these books)\n",
          process["pid"].get<std::uint64_t>(), Count((*handover)["carried_buffers"].get<std::uint64_t>(), "buffer"),
          FormatBytes((*handover)["carried_bytes"]), Count((*handover)["records_elsewhere"].get<std::uint64_t>(), "record"),
          Count((*handover)["missed_frees"].get<std::uint64_t>(), "free"));
    }
  }
  if (!notes.empty()) fmt::print("\n{}", notes);
  std::string anomalies;
  for (const auto& [kind, count] : summary["anomalies"].items()) {
    if (count.get<std::uint64_t>() != 0) anomalies += fmt::format("{}{} {}", anomalies.empty() ? "" : ", ", kind, count.get<std::uint64_t>());
  }
  fmt::print("\nanomalies: {}\n", anomalies.empty() ? "none" : anomalies);
  // Every failure, whatever its type (a CB clash's type has no row when no CB is live).
  const nlohmann::json failures = summary.value("allocation_failures", nlohmann::json::object());
  const nlohmann::json by_verdict = failures.value("by_verdict", nlohmann::json::object());
  std::string verdicts;
  for (const auto& [verdict, count] : by_verdict.items()) {
    if (count.get<std::uint64_t>() != 0) verdicts += fmt::format("{}{} {}", verdicts.empty() ? "" : ", ", verdict, count.get<std::uint64_t>());
  }
  if (!verdicts.empty()) {
    fmt::print("allocation failures: {} ({}); why and who held the memory: `memledger status --json` (allocation_failures)\n",
               failures.value("total", std::uint64_t{0}), verdicts);
  }
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
