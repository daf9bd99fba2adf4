// over_time_report.cc — see over_time_report.h.
#include "report/over_time_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <span>
#include <iterator>

#include "event/json_text.h"
#include "report/merged_sites.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/stack_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

using nlohmann::json;

constexpr std::size_t kTopSites = 10;          // in JSON
constexpr std::size_t kPeakSitesInJson = 50;   // per peak; the rest summed as "other"
// Sites by what they allocated, before merging: the top sites are the
// largest merged sites among these.
constexpr std::size_t kTopCandidates = 1000;


template <typename... Args>
void AppendLine(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

std::string_view TagOf(const Ledger& ledger, const SiteKey& site) {
  return ledger.tag_name(site.series.process, site.tag);
}

bool WithPid(const Ledger& ledger) { return ledger.processes().size() > 1; }

// "device 0 DRAM, tag kv_cache" (and the pid when the books hold several processes).
std::string SiteLabel(const Ledger& ledger, const SiteKey& site) {
  return PrintableText(PlaceLabel(ledger, SeriesDevice(ledger, site.series), site.series.type, site.series.process,
                                  site.tag, WithPid(ledger)));
}

SitePlace PlaceOf(const Ledger& ledger, const SiteAmount& amount) {
  return SitePlace{amount.site.series.process, SeriesDevice(ledger, amount.site.series), amount.site.series.type,
                   amount.site.tag, amount.bytes, amount.buffers};
}

// `amounts` merged into sites (merged_sites.h), the largest by `order` first.
std::vector<MergedSite> Merged(const Ledger& ledger, SiteStacks& stacks, const std::vector<SiteAmount>& amounts,
                               SiteOrder order) {
  SiteMerger merger(ledger, stacks);
  for (const SiteAmount& amount : amounts) merger.Add(amount.site.stack, PlaceOf(ledger, amount));
  return merger.Take(order);
}

std::uint64_t Capacity(const Ledger& ledger, const SeriesKey& series) {
  const std::uint16_t device = SeriesDevice(ledger, series);
  return device < ledger.devices().size() ? ledger.devices()[device].capacity[series.type] : 0;
}

std::string WindowText(const CaptureAnalysis& analysis) {
  const AnalysisWindow& w = analysis.window();
  const std::uint64_t since = w.since_ns.value_or(0);
  const std::uint64_t until = std::min(w.until_ns.value_or(analysis.duration_ns()), analysis.duration_ns());
  std::string text = fmt::format("{:.3f} s to {:.3f} s, {} marks", Seconds(since), Seconds(std::max(since, until)),
                                 analysis.marks_in_window());
  if (since >= analysis.duration_ns() && w.since_ns) {
    text += fmt::format(" (empty: the capture lasts {:.3f} s)", Seconds(analysis.duration_ns()));
  }
  return text;
}

// A peak's sites: at most half the top list (2 of the default 5), at least one.
std::size_t PeakSitesShown(const ReportScope& scope) { return std::max<std::size_t>(1, scope.top / 2); }

// A peak as a share of its pool's capacity (-1 when that is unknown).
double PeakShare(const Ledger& ledger, const SeriesPeak& peak) {
  const std::uint64_t capacity = Capacity(ledger, peak.series);
  return capacity != 0 ? static_cast<double>(peak.bytes) / static_cast<double>(capacity) : -1.0;
}

// The peaks of the `scope.top` fullest pools in scope (against capacity;
// those of unknown capacity after, largest first), each with what was live.
void AppendPeaks(std::string& out, const Ledger& ledger, const std::vector<SeriesPeak>& all, SiteStacks& stacks,
                 const ReportScope& scope) {
  std::vector<SeriesPeak> peaks;
  for (const SeriesPeak& peak : all) {
    if (scope.Shows(ledger, SeriesDevice(ledger, peak.series), peak.series.type)) peaks.push_back(peak);
  }
  std::stable_sort(peaks.begin(), peaks.end(), [&](const SeriesPeak& a, const SeriesPeak& b) {
    const double share_a = PeakShare(ledger, a), share_b = PeakShare(ledger, b);
    return share_a != share_b ? share_a > share_b : a.bytes > b.bytes;
  });
  const std::size_t pools = std::min(peaks.size(), scope.top);
  if (peaks.size() > pools) {
    AppendLine(out, "peaks (the {} fullest of {} pools):", pools, peaks.size());
  } else {
    AppendLine(out, "peaks:{}", peaks.empty() ? " none" : "");
  }
  const std::size_t shown = PeakSitesShown(scope);
  for (const SeriesPeak& peak : std::span(peaks).first(pools)) {
    const std::uint64_t capacity = Capacity(ledger, peak.series);
    AppendLine(out, "  {} {}: {} at {:.3f} s{}{}", PrintableText(DeviceLabel(ledger, SeriesDevice(ledger, peak.series))),
               PrintableText(ledger.type_name(peak.series.type)), FormatBytes(peak.bytes), Seconds(peak.time_ns),
               capacity != 0 ? fmt::format(" ({:.1f}% of {})", 100.0 * static_cast<double>(peak.bytes) /
                                                                     static_cast<double>(capacity),
                                           FormatBytes(capacity))
                             : "",
               ledger.processes().size() > 1 ? fmt::format(", pid {}", ledger.processes()[peak.series.process].pid)
                                             : "");
    std::string tags;
    for (const TagAmount& t : LiveByTag(peak)) {
      const std::string_view tag = ledger.tag_name(peak.series.process, t.tag);
      tags += fmt::format("{}{} {} ({})", tags.empty() ? "" : ", ", tag.empty() ? "(no tag)" : PrintableText(tag),
                          FormatBytes(t.bytes), Count(t.buffers, "buffer"));
    }
    AppendLine(out, "    live then by tag: {}", tags);
    const std::vector<MergedSite> sites = Merged(ledger, stacks, peak.live, SiteOrder::kBytes);
    for (std::size_t i = 0; i < std::min(sites.size(), shown); ++i) {
      const MergedSite& site = sites[i];
      std::string tags;
      for (const SitePlace& place : site.places) {
        const std::string_view tag = ledger.tag_name(place.process, place.tag);
        if (!tag.empty()) tags += fmt::format("{}{}", tags.empty() ? ", tag " : ", ", PrintableText(tag));
      }
      if (site.stack->frames.empty()) {
        AppendLine(out, "    {} in {}{}", FormatBytes(site.bytes), Count(site.buffers, "buffer"), tags);
        continue;
      }
      const bool here = stacks.ShowsStackHere(*site.stack);
      AppendLine(out, "    {} in {}{}: {}{}", FormatBytes(site.bytes), Count(site.buffers, "buffer"), tags,
                 PrintableText(stacks.Headline(*site.stack)), here ? "" : kStackAbove);
      if (here) AppendStack(out, stacks, *site.stack);
    }
    if (sites.size() > shown) AppendLine(out, "    \u2026 {} live then", Count(sites.size() - shown, "more site"));
  }
  if (peaks.size() > pools) {
    AppendLine(out, "  \u2026 the peaks of {} (--top {} lists them all; --device N, --type NAME pick one)",
               Count(peaks.size() - pools, "more pool"), peaks.size());
  }
}

void AppendTop(std::string& out, const Ledger& ledger, const std::vector<MergedSite>& top, SiteStacks& stacks,
               const ReportScope& scope) {
  AppendLine(out, "top allocation sites (the {} largest by bytes and the {} most allocated):{}", scope.top, scope.top,
             top.empty() ? " none" : "");
  for (std::size_t i = 0; i < top.size(); ++i) {
    AppendSite(out, ledger, stacks, top[i],
               fmt::format("{:>2}. {} in {}", i + 1, FormatBytes(top[i].bytes), Count(top[i].buffers, "allocation")),
               WithPid(ledger));
  }
  AppendNoStacksHint(out, top);
}

// The `scope.top` largest merged sites by `order` in scope (of every site
// when scoped: the largest in scope need not be among the largest of all).
std::vector<MergedSite> TopSites(const Ledger& ledger, const CaptureAnalysis& analysis, SiteOrder order,
                                 SiteStacks& stacks, const ReportScope& scope) {
  const std::size_t n = scope.whole() ? kTopCandidates : std::numeric_limits<std::size_t>::max();
  auto candidates = order == SiteOrder::kBytes ? analysis.TopByBytes(n) : analysis.TopByCount(n);
  std::erase_if(candidates, [&](const SiteAmount& amount) {
    return !scope.Shows(ledger, SeriesDevice(ledger, amount.site.series), amount.site.series.type);
  });
  std::vector<MergedSite> sites = Merged(ledger, stacks, candidates, order);
  if (sites.size() > scope.top) sites.resize(scope.top);
  return sites;
}

// Whether two merged sites (of two mergers) are one site: one stack, or
// both without one at the same place.
bool SameSite(const MergedSite& a, const MergedSite& b) {
  if (a.stack->identity != b.stack->identity) return false;
  if (!a.stack->identity.empty()) return true;
  const SitePlace& p = a.places[0];
  const SitePlace& q = b.places[0];
  return p.process == q.process && p.device == q.device && p.type == q.type && p.tag == q.tag;
}

// The text's one list of top sites: the largest by bytes and the most
// allocated (each listed once), the largest by bytes first.
std::vector<MergedSite> TopSitesListed(const Ledger& ledger, const CaptureAnalysis& analysis, SiteStacks& stacks,
                                       const ReportScope& scope) {
  std::vector<MergedSite> sites = TopSites(ledger, analysis, SiteOrder::kBytes, stacks, scope);
  for (MergedSite& site : TopSites(ledger, analysis, SiteOrder::kBuffers, stacks, scope)) {
    if (std::none_of(sites.begin(), sites.end(), [&](const MergedSite& s) { return SameSite(s, site); })) {
      sites.push_back(std::move(site));
    }
  }
  std::stable_sort(sites.begin(), sites.end(), [](const MergedSite& a, const MergedSite& b) { return a.bytes > b.bytes; });
  return sites;
}

void AppendGrowth(std::string& out, const Ledger& ledger, std::vector<SiteGrowth> growth, std::uint64_t marks,
                  SiteStacks& stacks, const ReportScope& scope) {
  std::erase_if(growth, [&](const SiteGrowth& g) {
    return !scope.Shows(ledger, SeriesDevice(ledger, g.site.series), g.site.series.type);
  });
  if (marks < 2) {
    AppendLine(out, "growth across marks: {} (memledger_mark at each step shows what grows from step to step)",
               marks == 0 ? "no marks recorded" : "one mark: it takes two");
    return;
  }
  AppendLine(out, "growth across marks (live bytes never fell from one mark to the next):{}",
             growth.empty() ? " none" : "");
  for (std::size_t i = 0; i < std::min(growth.size(), scope.top); ++i) {
    const SiteGrowth& g = growth[i];
    const SiteStack& stack = stacks.Read(ledger.processes()[g.site.series.process], g.site.stack);
    const bool here = stacks.ShowsStackHere(stack);
    AppendLine(out, "  +{} per mark ({} -> {} over {} intervals, rose {} times): {}{}",
               FormatBytes((g.last_bytes - g.first_bytes) / std::max<std::uint32_t>(g.intervals, 1)),
               FormatBytes(g.first_bytes), FormatBytes(g.last_bytes), g.intervals, g.rises,
               PrintableText(stacks.Headline(stack)), here ? "" : kStackAbove);
    AppendLine(out, "    {}", SiteLabel(ledger, g.site));
    if (here) AppendStack(out, stacks, stack);
  }
  if (growth.size() > scope.top) AppendLine(out, "  \u2026 {} growing", Count(growth.size() - scope.top, "more site"));
}

json SiteJson(const Ledger& ledger, const SiteKey& site, SiteStacks& stacks) {
  const ProcessBooks& books = ledger.processes()[site.series.process];
  return {{"pid", books.pid},
          {"device", SeriesDevice(ledger, site.series)},
          {"type", ledger.type_name(site.series.type)},
          {"tag", TagOf(ledger, site)},
          {"headline", stacks.Headline(stacks.Read(books, site.stack))},
          {"stack", StackLines(books, site.stack, stacks.symbols())}};
}

json PeaksJson(const Ledger& ledger, const std::vector<SeriesPeak>& peaks, SiteStacks& stacks) {
  json out = json::array();
  for (const SeriesPeak& peak : peaks) {
    json by_tag = json::array();
    for (const TagAmount& t : LiveByTag(peak)) {
      by_tag.push_back({{"tag", ledger.tag_name(peak.series.process, t.tag)}, {"bytes", t.bytes}, {"buffers", t.buffers}});
    }
    json sites = json::array();
    std::uint64_t other_bytes = 0, other_buffers = 0;
    for (std::size_t i = 0; i < peak.live.size(); ++i) {
      const SiteAmount& amount = peak.live[i];
      if (i >= kPeakSitesInJson) {
        other_bytes += amount.bytes;
        other_buffers += amount.buffers;
        continue;
      }
      json site = SiteJson(ledger, amount.site, stacks);
      site["bytes"] = amount.bytes;
      site["buffers"] = amount.buffers;
      sites.push_back(std::move(site));
    }
    const std::uint16_t device = SeriesDevice(ledger, peak.series);
    const bool known = device < ledger.devices().size();
    out.push_back({{"pid", ledger.processes()[peak.series.process].pid},
                   {"device", device},
                   {"device_name", known ? ledger.devices()[device].name : ""},
                   {"device_uid", known && !ledger.devices()[device].uid.empty() ? json(ledger.devices()[device].uid)
                                                                                   : json(nullptr)},
                   {"type", ledger.type_name(peak.series.type)},
                   {"bytes", peak.bytes},
                   {"time_s", Seconds(peak.time_ns)},
                   {"seq", peak.seq},
                   {"capacity", Capacity(ledger, peak.series)},
                   {"by_tag", std::move(by_tag)},
                   {"sites", std::move(sites)},
                   {"other_sites", {{"bytes", other_bytes}, {"buffers", other_buffers}}}});
  }
  return out;
}

json TopJson(const Ledger& ledger, const std::vector<SiteAmount>& top, SiteStacks& stacks) {
  json out = json::array();
  for (const SiteAmount& amount : top) {
    json site = SiteJson(ledger, amount.site, stacks);
    site["bytes"] = amount.bytes;
    site["allocations"] = amount.buffers;
    out.push_back(std::move(site));
  }
  return out;
}

json GrowthJson(const Ledger& ledger, const std::vector<SiteGrowth>& growth, SiteStacks& stacks) {
  json out = json::array();
  for (const SiteGrowth& g : growth) {
    json site = SiteJson(ledger, g.site, stacks);
    site["first_bytes"] = g.first_bytes;
    site["last_bytes"] = g.last_bytes;
    site["bytes_per_mark"] = (g.last_bytes - g.first_bytes) / std::max<std::uint32_t>(g.intervals, 1);
    site["rises"] = g.rises;
    site["intervals"] = g.intervals;
    out.push_back(std::move(site));
  }
  return out;
}

}  // namespace

std::string OverTimeText(const Ledger& ledger, const CaptureAnalysis& analysis, SiteStacks& stacks,
                         const ReportScope& scope) {
  std::string out;
  AppendLine(out, "window: {}", WindowText(analysis));
  AppendPeaks(out, ledger, analysis.Peaks(ledger), stacks, scope);
  AppendTop(out, ledger, TopSitesListed(ledger, analysis, stacks, scope), stacks, scope);
  AppendGrowth(out, ledger, analysis.Growth(), analysis.marks_in_window(), stacks, scope);
  return out;
}

nlohmann::json OverTimeSections(const Ledger& ledger, const CaptureAnalysis& analysis, SiteStacks& stacks) {
  const AnalysisWindow& w = analysis.window();
  json out;
  out["window"] = {{"since_s", w.since_ns ? json(Seconds(*w.since_ns)) : json(nullptr)},
                   {"until_s", w.until_ns ? json(Seconds(*w.until_ns)) : json(nullptr)},
                   {"duration_s", Seconds(analysis.duration_ns())},
                   {"marks", analysis.marks_in_window()}};
  out["peaks"] = PeaksJson(ledger, analysis.Peaks(ledger), stacks);
  out["top_sites"] = {{"by_bytes", TopJson(ledger, analysis.TopByBytes(kTopSites), stacks)},
                      {"by_count", TopJson(ledger, analysis.TopByCount(kTopSites), stacks)}};
  out["growth"] = GrowthJson(ledger, analysis.Growth(), stacks);
  return out;
}

}  // namespace memledger
