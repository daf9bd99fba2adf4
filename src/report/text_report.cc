// text_report.cc — see text_report.h.
#include "report/text_report.h"

#include <fmt/format.h>

#include <iterator>

#include "report/anomaly_facts.h"
#include "report/device_types.h"
#include "report/failure_groups.h"
#include "report/failure_report.h"
#include "report/leak_sites.h"
#include "report/merged_sites.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {

namespace {

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

// A pool's peak as a share of its capacity (-1 when its capacity is unknown).
double PeakShare(const DeviceBooks& device, std::size_t type) {
  const std::uint64_t capacity = device.capacity[type];
  return capacity != 0 ? static_cast<double>(device.types[type].peak_bytes) / static_cast<double>(capacity) : -1.0;
}

// Per device, a row per memory type used, the fullest (peak against
// capacity) first; the fullest pool of all is marked.
void AppendDevices(std::string& out, const Ledger& ledger, const ReportScope& scope) {
  double fullest = 0.0;
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    for (const auto& [t, c] : device.types) {
      if (device.seen && !c.empty() && scope.Shows(ledger, d, t)) fullest = std::max(fullest, PeakShare(device, t));
    }
  }
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen || (scope.device && *scope.device != d)) continue;
    AppendLine(out, "{}{}", PrintableText(DeviceLabel(ledger, d)),
               device.space_problem.empty()
                   ? ""
                   : fmt::format("  (an address space refused: {})", PrintableText(device.space_problem)));
    if (device.conflicts != 0) AppendLine(out, "{}", DeviceConflictLine(device.conflicts, !device.spaces.empty()));
    AppendLine(out, "  {:<14} {:>11} {:>11} {:>11} {:>6} {:>10} {:>10} {:>8} {:>11}", "type", "live", "peak",
               "capacity", "full", "allocs", "frees", "leaked", "leaked size");
    // The types it used: one it only declared a space for is noise in a
    // report (the summary JSON lists it, for a live view's free space).
    std::vector<std::size_t> types = ListedTypes(device);
    std::erase_if(types, [&](std::size_t t) { return device.types[t].empty() || !scope.Shows(ledger, d, t); });
    std::stable_sort(types.begin(), types.end(),
                     [&](std::size_t a, std::size_t b) { return PeakShare(device, a) > PeakShare(device, b); });
    for (const std::size_t t : types) {
      const TypeCounters& c = device.types[t];
      const double share = PeakShare(device, t);
      // Free space while something is live there; with nothing live it is the whole space.
      const FreeSpaceMap* space = c.live_bytes == 0 ? nullptr
                                  : ledger.FreeSpace(static_cast<std::uint16_t>(d), static_cast<std::uint16_t>(t));
      AppendLine(out, "  {:<14} {:>11} {:>11} {:>11} {:>6} {:>10} {:>10} {:>8} {:>11}{}{}",
                 PrintableText(ledger.type_name(t)), FormatBytes(c.live_bytes), FormatBytes(c.peak_bytes),
                 device.capacity[t] ? FormatBytes(device.capacity[t]) : "-",
                 share < 0 ? "-" : fmt::format("{:.1f}%", 100.0 * share), c.allocs, c.frees, c.leaked_buffers,
                 FormatBytes(c.leaked_bytes), share > 0 && share == fullest ? "  \u25c0 fullest" : "",
                 space ? "  " + FiguresText(space->Figures(), space->geometry().banks) : "");
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

void AppendAnomalies(std::string& out, const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope) {
  const AnomalyCounts anomalies = ledger.anomalies();
  std::string listed;
  for (int i = 0; i < kAnomalyCount; ++i) {
    if (anomalies[i] != 0) listed += fmt::format("{}{} {}", listed.empty() ? "" : ", ", AnomalyName(static_cast<Anomaly>(i)), anomalies[i]);
  }
  AppendLine(out, "anomalies: {}{}", listed.empty() ? "none" : listed, listed.empty() ? "" : Unverified(ledger));
  for (int i = 0; i < kAnomalyCount; ++i) {
    const auto kind = static_cast<Anomaly>(i);
    if (anomalies[i] != 0) AppendLine(out, "  {}: {}", AnomalyName(kind), AnomalyMeaning(kind));
  }
  auto anomaly_sites = SortedAnomalySites(ledger);
  std::erase_if(anomaly_sites, [&](const AnomalySite& site) {
    return !scope.whole() && (site.example.type == kNoType || !scope.Shows(ledger, site.example.device, site.example.type));
  });
  bool with_stacks = false;
  for (std::size_t i = 0; i < std::min(anomaly_sites.size(), scope.top); ++i) {
    const AnomalySite& site = anomaly_sites[i];
    const ProcessBooks& books = ledger.processes()[site.key.process];
    const SiteStack& stack = stacks.Read(books, site.key.stack);
    AppendLine(out, "  {} x{}, pid {}{}", AnomalyName(site.key.kind), site.count, books.pid,
               stack.frames.empty() ? "" : ": " + PrintableText(stacks.Headline(stack)));
    const AnomalyFacts facts = FactsOf(ledger, site);
    AppendLine(out, "    {}{}", site.count > 1 ? "the first: " : "", PrintableText(facts.what));
    for (const AnomalyEvent& event : facts.events) {
      const SiteStack& at = stacks.Read(books, event.stack);
      const std::string seq = event.seq != 0 ? fmt::format(" (seq {})", event.seq) : "";
      if (at.frames.empty()) {
        AppendLine(out, "    {}{}", event.role, seq);
        continue;
      }
      with_stacks = true;
      const bool here = stacks.ShowsStackHere(at);
      AppendLine(out, "    {}{} at: {}{}", event.role, seq, PrintableText(stacks.Headline(at)), here ? "" : kStackAbove);
      if (here) AppendStack(out, stacks, at);
    }
  }
  if (!anomaly_sites.empty() && !with_stacks) {
    AppendLine(out, "  (recorded without stacks: MEMLEDGER_STACKS=1 records where each came from)");
  }
  if (anomaly_sites.size() > scope.top) {
    AppendLine(out, "  \u2026 {} (summary JSON: anomaly_sites)", Count(anomaly_sites.size() - scope.top, "more anomaly site"));
  }
}

void AppendLeaks(std::string& out, const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope) {
  SiteMerger merger(ledger, stacks);
  std::uint64_t buffers = 0, bytes = 0;
  for (const LeakSite& site : SortedLeakSites(ledger)) {
    if (!scope.Shows(ledger, site.key.device, site.key.type)) continue;
    buffers += site.totals.buffers;
    bytes += site.totals.bytes;
    merger.Add(site.key.stack, SitePlace{site.key.process, site.key.device, site.key.type, site.key.tag,
                                         site.totals.bytes, site.totals.buffers});
  }
  const auto sites = merger.Take(SiteOrder::kBytes);
  if (sites.empty()) {
    AppendLine(out, "leaks: none");
    return;
  }
  AppendLine(out, "leaks: {}, {} in {}{}", Count(buffers, "buffer"), FormatBytes(bytes), Count(sites.size(), "site"),
             Unverified(ledger));
  for (const MergedSite& site : sites) {
    AppendSite(out, ledger, stacks, site, fmt::format("{} in {}", FormatBytes(site.bytes), Count(site.buffers, "buffer")),
               /*with_pid=*/true);
  }
  AppendNoStacksHint(out, sites);
}

}  // namespace

std::string TextReport(const Ledger& ledger, SiteStacks& stacks, std::string_view running,
                       const ReportScope& scope) {
  std::string out;
  AppendProcesses(out, ledger, running);
  if (!scope.whole()) {
    AppendLine(out, "only {}{}{} (--device, --type): totals of anomalies and processes are the whole capture's",
               scope.device ? fmt::format("device {}", *scope.device) : "",
               scope.device && scope.type ? " " : "", scope.type ? PrintableText(*scope.type) : "");
  }
  AppendDevices(out, ledger, scope);
  AppendAllocationFailures(out, ledger, stacks, scope);
  AppendLeaks(out, ledger, stacks, scope);
  AppendAnomalies(out, ledger, stacks, scope);
  return out;
}

std::string TextReport(const Ledger& ledger) {
  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, StackOptions{});
  TextReport(ledger, stacks);  // reads every site it lists, so that their headlines are told apart
  stacks.ForgetShown();
  return TextReport(ledger, stacks);
}

std::string LeakReport(const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope) {
  std::string out;
  AppendLeaks(out, ledger, stacks, scope);
  return out;
}

std::string Count(std::uint64_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

std::string DeviceConflictLine(std::uint64_t conflicts, bool mapped) {
  return fmt::format("  described otherwise by {} (device_conflict): the first description stands{}",
                     Count(conflicts, "open"),
                     mapped ? "\n  buffers of the other descriptions stay out of its address-space maps" : "");
}

void AppendStack(std::string& out, const SiteStacks& stacks, const SiteStack& stack, std::string_view indent) {
  for (const std::string& line : stacks.Lines(stack)) AppendLine(out, "{}      {}", indent, PrintableText(line));
}

namespace {

// A site's places, each with its amount; those that differ only by device
// on one line: "L1, tag activations: device 0 12.2 GiB in 103200 buffers,
// device 1 12.2 GiB in 103200 buffers".
void AppendPlaces(std::string& out, const Ledger& ledger, const std::vector<SitePlace>& places, bool with_pid,
                  std::string_view indent) {
  const auto same_but_device = [](const SitePlace& a, const SitePlace& b) {
    return a.process == b.process && a.type == b.type && a.tag == b.tag;
  };
  std::vector<bool> listed(places.size(), false);
  for (std::size_t i = 0; i < places.size(); ++i) {
    if (listed[i]) continue;
    const SitePlace& first = places[i];
    std::string amounts;
    std::size_t on_line = 0;
    for (std::size_t j = i; j < places.size(); ++j) {
      if (listed[j] || !same_but_device(first, places[j])) continue;
      listed[j] = true;
      ++on_line;
      amounts += fmt::format("{}device {} {} in {}", amounts.empty() ? "" : ", ", places[j].device,
                             FormatBytes(places[j].bytes), Count(places[j].buffers, "buffer"));
    }
    if (on_line == 1) {
      AppendLine(out, "{}    {}: {} in {}", indent, PrintableText(SitePlaceLabel(ledger, first, with_pid)),
                 FormatBytes(first.bytes), Count(first.buffers, "buffer"));
      continue;
    }
    // The place's label without its device: "L1, tag activations".
    const std::string label = SitePlaceLabel(ledger, first, with_pid);
    const std::string device = fmt::format("device {} ", first.device);
    AppendLine(out, "{}    {}: {}", indent, PrintableText(label.substr(device.size())), amounts);
  }
}

}  // namespace

void AppendSite(std::string& out, const Ledger& ledger, SiteStacks& stacks, const MergedSite& site,
                std::string_view amount, bool with_pid, std::string_view indent) {
  // A site without a stack is one place: named by it.
  if (site.stack->frames.empty()) {
    AppendLine(out, "{}  {}: {}", indent, amount, PrintableText(SitePlaceLabel(ledger, site.places[0], with_pid)));
    return;
  }
  const bool here = stacks.ShowsStackHere(*site.stack);
  AppendLine(out, "{}  {}: {}{}", indent, amount, PrintableText(stacks.Headline(*site.stack)), here ? "" : kStackAbove);
  if (site.places.size() == 1) {
    AppendLine(out, "{}    {}", indent, PrintableText(SitePlaceLabel(ledger, site.places[0], with_pid)));
  } else {
    AppendPlaces(out, ledger, site.places, with_pid, indent);
  }
  if (here) AppendStack(out, stacks, *site.stack, indent);
}

void AppendNoStacksHint(std::string& out, const std::vector<MergedSite>& sites) {
  const bool without = std::any_of(sites.begin(), sites.end(), [](const MergedSite& s) { return s.stack->frames.empty(); });
  if (without) AppendLine(out, "  (recorded without stacks: MEMLEDGER_STACKS=1 records where each buffer came from)");
}

}  // namespace memledger
