// over_time_report.cc — see over_time_report.h.
#include "report/over_time_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <iterator>

#include "event/json_text.h"
#include "report/names.h"
#include "report/printable_text.h"
#include "report/stack_text.h"
#include "report/text_report.h"

namespace memledger {
namespace {

using nlohmann::json;

constexpr std::size_t kTopSites = 10;
constexpr std::size_t kPeakSitesShown = 5;     // per peak, in text
constexpr std::size_t kPeakSitesInJson = 50;   // per peak; the rest summed as "other"
constexpr std::size_t kGrowthShown = 10;
constexpr std::size_t kFramesShown = 8;  // enough to get past the shared allocator frames to the caller

double Seconds(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }

template <typename... Args>
void AppendLine(std::string& out, fmt::format_string<Args...> format, Args&&... args) {
  fmt::format_to(std::back_inserter(out), format, std::forward<Args>(args)...);
  out += '\n';
}

std::string_view TagOf(const Ledger& ledger, const SiteKey& site) {
  return ledger.tag_name(site.series.process, site.tag);
}

// "device 0 DRAM, tag kv_cache" (and the pid when the books hold several processes).
std::string SiteLabel(const Ledger& ledger, const SiteKey& site) {
  return PrintableText(PlaceLabel(ledger, SeriesDevice(ledger, site.series), site.series.type, site.series.process,
                                  site.tag, /*with_pid=*/ledger.processes().size() > 1));
}

std::vector<std::string> Frames(const Ledger& ledger, const SiteKey& site, Symbolizer& symbolizer) {
  return StackLines(ledger.processes()[site.series.process], site.stack, symbolizer);
}

void AppendFrames(std::string& out, const std::vector<std::string>& frames) {
  for (std::size_t f = 0; f < std::min(frames.size(), kFramesShown); ++f) {
    AppendLine(out, "        #{} {}", f, PrintableText(frames[f]));
  }
  if (frames.size() > kFramesShown) AppendLine(out, "        ... {} more frames", frames.size() - kFramesShown);
}

std::uint64_t Capacity(const Ledger& ledger, const SeriesKey& series) {
  const std::uint16_t device = SeriesDevice(ledger, series);
  return device < ledger.devices().size() ? ledger.devices()[device].capacity[series.type] : 0;
}

std::string WindowText(const CaptureAnalysis& analysis) {
  const AnalysisWindow& w = analysis.window();
  const std::uint64_t since = w.since_ns.value_or(0);
  const std::uint64_t until = std::min(w.until_ns.value_or(analysis.duration_ns()), analysis.duration_ns());
  return fmt::format("{:.3f} s to {:.3f} s, {} marks", Seconds(since), Seconds(std::max(since, until)),
                     analysis.marks_in_window());
}

void AppendPeaks(std::string& out, const Ledger& ledger, const std::vector<SeriesPeak>& peaks, Symbolizer& symbolizer) {
  AppendLine(out, "peaks:{}", peaks.empty() ? " none" : "");
  for (const SeriesPeak& peak : peaks) {
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
      tags += fmt::format("{}{} {} ({} buffers)", tags.empty() ? "" : ", ", tag.empty() ? "(no tag)" : PrintableText(tag),
                          FormatBytes(t.bytes), t.buffers);
    }
    AppendLine(out, "    live then by tag: {}", tags);
    for (std::size_t i = 0; i < std::min(peak.live.size(), kPeakSitesShown); ++i) {
      const SiteAmount& amount = peak.live[i];
      const std::string_view tag = TagOf(ledger, amount.site);
      AppendLine(out, "    {} in {} buffers{}", FormatBytes(amount.bytes), amount.buffers,
                 tag.empty() ? "" : fmt::format(", tag {}", PrintableText(tag)));
      AppendFrames(out, Frames(ledger, amount.site, symbolizer));
    }
    if (peak.live.size() > kPeakSitesShown) {
      AppendLine(out, "    ... {} more sites live then", peak.live.size() - kPeakSitesShown);
    }
  }
}

void AppendTop(std::string& out, const Ledger& ledger, std::string_view title, const std::vector<SiteAmount>& top,
               Symbolizer& symbolizer) {
  AppendLine(out, "top allocation sites by {}:{}", title, top.empty() ? " none" : "");
  for (std::size_t i = 0; i < top.size(); ++i) {
    AppendLine(out, "  {:>2}. {} in {} allocations: {}", i + 1, FormatBytes(top[i].bytes), top[i].buffers,
               SiteLabel(ledger, top[i].site));
    AppendFrames(out, Frames(ledger, top[i].site, symbolizer));
  }
}

void AppendGrowth(std::string& out, const Ledger& ledger, const std::vector<SiteGrowth>& growth,
                  Symbolizer& symbolizer) {
  AppendLine(out, "growth across marks (live bytes never fell from one mark to the next):{}",
             growth.empty() ? " none" : "");
  for (std::size_t i = 0; i < std::min(growth.size(), kGrowthShown); ++i) {
    const SiteGrowth& g = growth[i];
    AppendLine(out, "  +{} per mark ({} -> {} over {} intervals, rose {} times): {}",
               FormatBytes((g.last_bytes - g.first_bytes) / std::max<std::uint32_t>(g.intervals, 1)),
               FormatBytes(g.first_bytes), FormatBytes(g.last_bytes), g.intervals, g.rises, SiteLabel(ledger, g.site));
    AppendFrames(out, Frames(ledger, g.site, symbolizer));
  }
  if (growth.size() > kGrowthShown) AppendLine(out, "  ... {} more growing sites", growth.size() - kGrowthShown);
}

json SiteJson(const Ledger& ledger, const SiteKey& site, Symbolizer& symbolizer) {
  return {{"pid", ledger.processes()[site.series.process].pid},
          {"device", SeriesDevice(ledger, site.series)},
          {"type", ledger.type_name(site.series.type)},
          {"tag", TagOf(ledger, site)},
          {"stack", Frames(ledger, site, symbolizer)}};
}

json PeaksJson(const Ledger& ledger, const std::vector<SeriesPeak>& peaks, Symbolizer& symbolizer) {
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
      json site = SiteJson(ledger, amount.site, symbolizer);
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

json TopJson(const Ledger& ledger, const std::vector<SiteAmount>& top, Symbolizer& symbolizer) {
  json out = json::array();
  for (const SiteAmount& amount : top) {
    json site = SiteJson(ledger, amount.site, symbolizer);
    site["bytes"] = amount.bytes;
    site["allocations"] = amount.buffers;
    out.push_back(std::move(site));
  }
  return out;
}

json GrowthJson(const Ledger& ledger, const std::vector<SiteGrowth>& growth, Symbolizer& symbolizer) {
  json out = json::array();
  for (const SiteGrowth& g : growth) {
    json site = SiteJson(ledger, g.site, symbolizer);
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

std::string OverTimeText(const Ledger& ledger, const CaptureAnalysis& analysis, Symbolizer& symbolizer) {
  std::string out;
  AppendLine(out, "window: {}", WindowText(analysis));
  AppendPeaks(out, ledger, analysis.Peaks(ledger), symbolizer);
  AppendTop(out, ledger, "bytes", analysis.TopByBytes(kTopSites), symbolizer);
  AppendTop(out, ledger, "count", analysis.TopByCount(kTopSites), symbolizer);
  AppendGrowth(out, ledger, analysis.Growth(), symbolizer);
  return out;
}

nlohmann::json OverTimeSections(const Ledger& ledger, const CaptureAnalysis& analysis, Symbolizer& symbolizer) {
  const AnalysisWindow& w = analysis.window();
  json out;
  out["window"] = {{"since_s", w.since_ns ? json(Seconds(*w.since_ns)) : json(nullptr)},
                   {"until_s", w.until_ns ? json(Seconds(*w.until_ns)) : json(nullptr)},
                   {"duration_s", Seconds(analysis.duration_ns())},
                   {"marks", analysis.marks_in_window()}};
  out["peaks"] = PeaksJson(ledger, analysis.Peaks(ledger), symbolizer);
  out["top_sites"] = {{"by_bytes", TopJson(ledger, analysis.TopByBytes(kTopSites), symbolizer)},
                      {"by_count", TopJson(ledger, analysis.TopByCount(kTopSites), symbolizer)}};
  out["growth"] = GrowthJson(ledger, analysis.Growth(), symbolizer);
  return out;
}

}  // namespace memledger
