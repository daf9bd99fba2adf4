// map_command.cc — see map_command.h.
#include "map_command.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "report/space_map.h"
#include "event/quantity_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

std::optional<std::uint64_t> Number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::uint64_t FailuresBooked(const Ledger& ledger) {
  std::uint64_t total = 0;
  for (const auto& [key, count] : ledger.failure_counts()) total += count;
  return total;
}

}  // namespace

std::optional<MapRequest> ParseMapRequest(std::string_view text, std::string* why) {
  MapRequest request;
  const std::size_t colon = text.find(':');
  const std::size_t at = text.find('@');
  if (colon == std::string_view::npos || (at != std::string_view::npos && at < colon)) {
    *why = "DEVICE:TYPE[@TIME] (0:L1, 0:L1@2.5s, 0:L1@failure:1)";
    return std::nullopt;
  }
  const auto device = Number(text.substr(0, colon));
  if (!device) {
    *why = fmt::format("the device is a number, as the report numbers devices (not '{}')", text.substr(0, colon));
    return std::nullopt;
  }
  request.device = *device;
  request.type = std::string(text.substr(colon + 1, at == std::string_view::npos ? std::string_view::npos : at - colon - 1));
  if (request.type.empty()) {
    *why = "no memory type after the device (0:L1)";
    return std::nullopt;
  }
  if (at == std::string_view::npos) return request;
  const std::string_view instant = text.substr(at + 1);
  if (instant.starts_with("failure:")) {
    const auto n = Number(instant.substr(8));
    if (!n || *n == 0) {
      *why = fmt::format("failure:N counts from 1 (not '{}')", instant.substr(8));
      return std::nullopt;
    }
    request.failure = *n;
    return request;
  }
  const auto seconds = ParseSeconds(instant);
  if (!seconds) {
    *why = fmt::format("'{}' is neither a time (2.5, 300ms, 2m) nor failure:N", instant);
    return std::nullopt;
  }
  request.until_ns = static_cast<std::uint64_t>(std::llround(*seconds * 1e9));
  return request;
}

int MapCommand(std::span<const std::string> capture, const MapRequest& request, const StackOptions& stack_options) {
  Ledger ledger;
  ReplayResult replay;
  std::string instant = "at the end of the capture";
  if (request.until_ns) {
    // The books at a time: as --until ends them.
    CaptureAnalysis analysis(AnalysisWindow{std::nullopt, request.until_ns});
    replay = ReplayAnalyzed(capture, ledger, analysis, nullptr, {});
    instant = fmt::format("at {:.3f} s", static_cast<double>(*request.until_ns) / 1e9);
  } else if (request.failure != 0) {
    // Just after the N-th failure: it changed no buffer, so the books are as it saw them.
    replay = ReplayCapture(capture, ledger,
                           {.stop_before = [&](const Record&) { return FailuresBooked(ledger) >= request.failure; }});
  } else {
    replay = ReplayCapture(capture, ledger);
  }
  if (!replay.opened) {
    std::fprintf(stderr, "memledger report: %s\n", replay.error.c_str());
    return 1;
  }
  if (!replay.problem.empty()) std::fprintf(stderr, "memledger report: %s\n", replay.problem.c_str());
  if (request.failure != 0) {
    const std::uint64_t booked = FailuresBooked(ledger);
    if (booked < request.failure) {
      std::fprintf(stderr, "memledger report: --map: failure:%llu asked, the capture has %llu allocation failures\n",
                   static_cast<unsigned long long>(request.failure), static_cast<unsigned long long>(booked));
      return 1;
    }
    instant = fmt::format("at failure {}", request.failure);
    if (request.failure <= ledger.failures().size()) {
      const AllocationFailure& f = ledger.failures()[request.failure - 1];
      instant += fmt::format(" ({}, {} B of {}, seq {})", FailureVerdictName(f.verdict), f.size,
                             ledger.type_name(f.type), f.seq);
    }
  }
  if (request.device >= ledger.devices().size() || !ledger.devices()[request.device].seen) {
    std::fprintf(stderr, "memledger report: --map: the capture has no device %zu by that instant\n", request.device);
    return 1;
  }
  std::optional<std::uint16_t> type;
  for (std::size_t t = 0; t < ledger.type_count(); ++t) {
    if (ledger.type_name(t) == request.type) type = static_cast<std::uint16_t>(t);
  }
  if (!type) {
    std::fprintf(stderr, "memledger report: --map: no memory type '%s' in the capture\n", request.type.c_str());
    return 1;
  }
  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, stack_options);
  const AllocationFailure* failure = request.failure != 0 && request.failure <= ledger.failures().size()
                                         ? &ledger.failures()[request.failure - 1]
                                         : nullptr;
  const std::string text =
      SpaceMapText(ledger, stacks, static_cast<std::uint16_t>(request.device), *type, instant, failure);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace memledger
