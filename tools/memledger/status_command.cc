// status_command.cc — see status_command.h.
#include "status_command.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/text_report.h"
#include "server/wire_protocol.h"

namespace memledger {
namespace {
constexpr auto kReplyTimeout = std::chrono::seconds(10);

// The server's summary JSON, or nullopt with *error set.
std::optional<std::string> QuerySummary(const std::string& path, std::string* error) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    *error = "socket path too long: " + path;
    return std::nullopt;
  }
  std::memcpy(address.sun_path, path.c_str(), path.size());
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = "no memledger server answers at " + path + " (" + std::strerror(errno) +
             "); start one with `memledger serve`";
    close(fd);
    return std::nullopt;
  }
  const QueryMessage query{kQueryMagic, kProtocolVersion, static_cast<std::uint32_t>(QueryKind::kSummary)};
  std::string json;
  bool complete = false;
  std::uint64_t length = 0;
  if (SendPacket(fd, &query, sizeof(query))) {
    std::string chunk(std::max(kReplyChunkBytes, sizeof(WelcomeMessage)), '\0');
    const long first = ReceivePacket(fd, chunk.data(), chunk.size(), kReplyTimeout);
    if (first == static_cast<long>(sizeof(WelcomeMessage))) {
      // A refusal comes as a Welcome message, not a length.
      WelcomeMessage refusal;
      std::memcpy(&refusal, chunk.data(), sizeof(refusal));
      refusal.reason[sizeof(refusal.reason) - 1] = '\0';
      *error = "the server at " + path + " refused the query: " + refusal.reason;
      close(fd);
      return std::nullopt;
    }
    if (first == static_cast<long>(sizeof(length))) {
      std::memcpy(&length, chunk.data(), sizeof(length));
      while (json.size() < length) {
        const long n = ReceivePacket(fd, chunk.data(), chunk.size(), kReplyTimeout);
        if (n <= 0) break;
        json.append(chunk.data(), static_cast<std::size_t>(n));
      }
      complete = json.size() == length;
    }
  }
  close(fd);
  if (!complete) {
    *error = "the server at " + path + " did not answer the query completely";
    return std::nullopt;
  }
  return json;
}

std::string Percent(std::uint64_t used, std::uint64_t total) {
  return total == 0 ? std::string("-") : fmt::format("{:.1f}%", 100.0 * static_cast<double>(used) / static_cast<double>(total));
}

void PrintTable(const nlohmann::json& summary) {
  const auto& server = summary.value("server", nlohmann::json::object());
  fmt::print("memledger status — {} processes tracked, {} events, {} dropped\n", summary["processes"].size(),
             summary.value("events", 0), summary.value("dropped_events", 0));
  if (!server.empty()) {
    fmt::print("server {}: {} clients, {:.0f} events/s\n", server.value("socket", ""), server.value("clients", 0),
               server.value("events_per_second", 0.0));
  }
  for (const auto& device : summary["devices"]) {
    fmt::print("\ndevice {} {}\n", device["device"].get<int>(), device.value("name", ""));
    fmt::print("  {:<14} {:>11} {:>11} {:>7} {:>11}\n", "type", "used", "total", "use", "peak");
    for (const auto& [type, counters] : device["types"].items()) {
      const std::uint64_t used = counters["live_bytes"];
      const std::uint64_t total = device["capacity"].value(type, std::uint64_t{0});
      fmt::print("  {:<14} {:>11} {:>11} {:>7} {:>11}\n", type, FormatBytes(used), total ? FormatBytes(total) : "-",
                 Percent(used, total), FormatBytes(counters["peak_bytes"]));
    }
  }
  fmt::print("\n  {:>8} {:<16} {:<8} {:>10} {:>12}\n", "pid", "process", "state", "events", "leaked");
  for (const auto& process : summary["processes"]) {
    fmt::print("  {:>8} {:<16} {:<8} {:>10} {:>12}\n", process["pid"].get<std::uint64_t>(),
               process["comm"].get<std::string>(), process["state"].get<std::string>(),
               process["events"].get<std::uint64_t>(), FormatBytes(process["leaked_bytes"]));
  }
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
  PrintTable(nlohmann::json::parse(*json));
  return 0;
}

}  // namespace memledger
