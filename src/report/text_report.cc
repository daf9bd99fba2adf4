// text_report.cc — see text_report.h.
#include "report/text_report.h"

#include <fmt/format.h>

#include <iterator>

#include "report/leak_sites.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/stack_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {

namespace {
constexpr std::size_t kAnomalySitesShown = 10;
constexpr std::size_t kAnomalyFramesShown = 8;

template <typename... Args>
void AppendLine(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}
}  // namespace

std::string FormatBytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

namespace {

void AppendProcesses(std::string& out, const Ledger& ledger, std::string_view running) {
  std::uint64_t dropped = 0, lost = 0;
  for (const ProcessBooks& p : ledger.processes()) {
    dropped += p.dropped_events;
    lost += p.lost_slots;
    const std::string_view state = p.state == ProcessState::kRunning ? running : ProcessStateName(p.state);
    AppendLine(out, "memledger: pid {} ({}) {}: {} events, {} dropped{}", p.pid, PrintableText(p.comm), state, p.events,
         p.dropped_events, p.lost_slots ? fmt::format(", {} records lost", p.lost_slots) : "");
    if (p.pools_merged != 0) {
      AppendLine(out, "memledger: pid {}: {} of its pools are booked together as \"{}\" (the server's table of pool "
                      "names is full)", p.pid, p.pools_merged, kOtherPoolsName);
    }
    if (p.handover.joined_late) {
      const Handover& h = p.handover;
      AppendLine(out,
                 "memledger: pid {}: these books begin part-way (its ring changed hands {} times): {} buffers ({}) "
                 "carried over, {} records accounted elsewhere, {} frees of buffers allocated before",
                 p.pid, h.handovers, h.carried_buffers, FormatBytes(h.carried_bytes), h.records_elsewhere,
                 h.missed_frees);
    }
  }
  if (dropped != 0) AppendLine(out, "memledger: WARNING: {} events were dropped (MEMLEDGER_ON_FULL=drop): the books are incomplete", dropped);
  if (lost != 0) {
    AppendLine(out, "memledger: WARNING: {} records never reached these books (claimed and never written by a process "
                    "that died mid-hook, missing from a capture file, or refused by the server as malformed): the "
                    "books are incomplete", lost);
  }
}

void AppendDevices(std::string& out, const Ledger& ledger) {
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen) continue;
    AppendLine(out, "{}", PrintableText(DeviceLabel(ledger, d)));
    if (device.conflicts != 0) {
      AppendLine(out, "  described otherwise by {} open(s) (device_conflict): its first opener's description stands",
                 device.conflicts);
    }
    AppendLine(out, "  {:<14} {:>11} {:>11} {:>11} {:>10} {:>10} {:>8} {:>11}", "type", "live", "peak", "capacity", "allocs",
         "frees", "leaked", "leaked size");
    for (const auto& [t, c] : device.types) {
      if (c.empty()) continue;
      AppendLine(out, "  {:<14} {:>11} {:>11} {:>11} {:>10} {:>10} {:>8} {:>11}",
                 PrintableText(ledger.type_name(t)),
           FormatBytes(c.live_bytes), FormatBytes(c.peak_bytes),
           device.capacity[t] ? FormatBytes(device.capacity[t]) : "-", c.allocs, c.frees, c.leaked_buffers,
           FormatBytes(c.leaked_bytes));
    }
  }
}

// Said after the anomaly and leak headlines when some process's books miss
// records: their verdicts may come from what is missing.
std::string Unverified(const Ledger& ledger) {
  std::uint64_t missing = 0;
  for (const ProcessBooks& p : ledger.processes()) missing += p.dropped_events + p.lost_slots;
  if (missing == 0) return {};
  return fmt::format(" (unverified: {} records were dropped or lost; a missing free reads as a leak, a reused "
                     "address as an overlap)", missing);
}

void AppendAnomalies(std::string& out, const Ledger& ledger, Symbolizer& symbolizer) {
  const AnomalyCounts anomalies = ledger.anomalies();
  std::string listed;
  for (int i = 0; i < kAnomalyCount; ++i) {
    if (anomalies[i] != 0) listed += fmt::format("{}{} {}", listed.empty() ? "" : ", ", AnomalyName(static_cast<Anomaly>(i)), anomalies[i]);
  }
  AppendLine(out, "anomalies: {}{}", listed.empty() ? "none" : listed, listed.empty() ? "" : Unverified(ledger));
  const auto anomaly_sites = SortedAnomalySites(ledger);
  for (std::size_t i = 0; i < std::min<std::size_t>(anomaly_sites.size(), kAnomalySitesShown); ++i) {
    const AnomalySite& site = anomaly_sites[i];
    const ProcessBooks& books = ledger.processes()[site.key.process];
    AppendLine(out, "  {} x{}, pid {}", AnomalyName(site.key.kind), site.count, books.pid);
    const auto stack = StackLines(books, site.key.stack, symbolizer);
    for (std::size_t f = 0; f < std::min(stack.size(), kAnomalyFramesShown); ++f) {
      AppendLine(out, "      #{} {}", f, PrintableText(stack[f]));
    }
    const auto allocated = StackLines(books, site.key.alloc_stack, symbolizer);
    if (!allocated.empty()) AppendLine(out, "    allocated at:");
    for (std::size_t f = 0; f < std::min(allocated.size(), kAnomalyFramesShown); ++f) {
      AppendLine(out, "      #{} {}", f, PrintableText(allocated[f]));
    }
  }
  if (anomaly_sites.size() > kAnomalySitesShown) {
    AppendLine(out, "  ... {} more anomaly sites (summary JSON: anomaly_sites)", anomaly_sites.size() - kAnomalySitesShown);
  }
}

void AppendLeaks(std::string& out, const Ledger& ledger, Symbolizer& symbolizer) {
  const auto sites = SortedLeakSites(ledger);
  std::uint64_t buffers = 0, bytes = 0;
  for (const LeakSite& site : sites) {
    buffers += site.totals.buffers;
    bytes += site.totals.bytes;
  }
  if (sites.empty()) {
    AppendLine(out, "leaks: none");
    return;
  }
  AppendLine(out, "leaks: {} buffers, {} in {} sites{}", buffers, FormatBytes(bytes), sites.size(), Unverified(ledger));
  for (const LeakSite& site : sites) {
    AppendLine(out, "  {} in {} buffers: {}", FormatBytes(site.totals.bytes), site.totals.buffers,
               PrintableText(PlaceLabel(ledger, site.key.device, site.key.type, site.key.process, site.key.tag,
                                        /*with_pid=*/true)));
    const auto stack = StackLines(ledger.processes()[site.key.process], site.key.stack, symbolizer);
    for (std::size_t i = 0; i < stack.size(); ++i) AppendLine(out, "      #{} {}", i, PrintableText(stack[i]));
  }
}

}  // namespace

std::string TextReport(const Ledger& ledger, std::string_view running) {
  std::string out;
  Symbolizer symbolizer;
  AppendProcesses(out, ledger, running);
  AppendDevices(out, ledger);
  AppendAnomalies(out, ledger, symbolizer);
  AppendLeaks(out, ledger, symbolizer);
  return out;
}

std::string LeakReport(const Ledger& ledger) {
  std::string out;
  Symbolizer symbolizer;
  AppendLeaks(out, ledger, symbolizer);
  return out;
}

}  // namespace memledger
