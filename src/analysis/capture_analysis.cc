// capture_analysis.cc — see capture_analysis.h.
#include "analysis/capture_analysis.h"

#include <algorithm>

namespace memledger {

std::vector<TagAmount> LiveByTag(const SeriesPeak& peak) {
  std::vector<TagAmount> tags;
  for (const SiteAmount& amount : peak.live) {
    auto t = std::find_if(tags.begin(), tags.end(), [&](const TagAmount& x) { return x.tag == amount.site.tag; });
    if (t == tags.end()) t = tags.insert(tags.end(), TagAmount{amount.site.tag, 0, 0});
    t->bytes += amount.bytes;
    t->buffers += amount.buffers;
  }
  std::sort(tags.begin(), tags.end(), [](const TagAmount& a, const TagAmount& b) {
    return a.bytes != b.bytes ? a.bytes > b.bytes : a.tag < b.tag;
  });
  return tags;
}

CaptureAnalysis::CaptureAnalysis(AnalysisWindow window)
    : window_(window), window_open_(!window.since_ns.has_value() || *window.since_ns == 0) {}

ProcessStream::Observer CaptureAnalysis::Observer() {
  return [this](ProcessIndex, const Record& record) { AfterRecord(record); };
}

ProcessStream::StopBefore CaptureAnalysis::StopBefore() {
  return [this](const Record& record) { return BeforeRecord(record); };
}

bool CaptureAnalysis::BeforeRecord(const Record& record) {
  const std::uint64_t t = record.event.time_ns;
  if (origin_ns_ == 0) origin_ns_ = t;
  // Times only go forward; a record stamped earlier (or unstamped) is "now".
  now_ns_ = t > origin_ns_ ? std::max(now_ns_, t - origin_ns_) : now_ns_;
  if (window_.until_ns && now_ns_ > *window_.until_ns) return true;
  if (!window_open_ && now_ns_ >= *window_.since_ns) OpenWindow();
  return false;
}

void CaptureAnalysis::AfterRecord(const Record& record) {
  last_seq_ = record.event.seq;
  last_ns_ = now_ns_;
  if (record.kind() == EventKind::kMark && window_open_) {
    ++marks_in_window_;
    SnapshotAtMark();
  }
}

// The window opens with what is live then as each series' peak so far.
void CaptureAnalysis::OpenWindow() {
  window_open_ = true;
  for (auto& [key, series] : series_) {
    series.peak = series.live;
    series.peak_seq = last_seq_;
    series.peak_time_ns = *window_.since_ns;
    series.has_peak = series.live != 0;
    ++series.epoch;
  }
}

CaptureAnalysis::Series& CaptureAnalysis::SeriesOf(const SeriesKey& key) {
  if (last_series_ == nullptr || !(key == last_series_key_)) {
    last_series_ = &series_[key];
    last_series_key_ = key;
  }
  return *last_series_;
}

CaptureAnalysis::Site& CaptureAnalysis::SiteOf(const SiteKey& key) {
  if (last_site_ != nullptr && key == last_site_key_) return *last_site_;
  auto [it, inserted] = sites_.try_emplace(key);
  if (inserted && marks_in_window_ != 0) it->second.marks = 1;  // held nothing at the marks before it
  last_site_ = &it->second;
  last_site_key_ = key;
  return *last_site_;
}

void CaptureAnalysis::OnLive(const LiveKey& key, const LiveBuffer& buffer) {
  const SeriesKey series_key{key.process, key.device, buffer.type};
  Series& series = SeriesOf(series_key);
  series.live += buffer.size;
  Site& site = SiteOf(SiteKey{series_key, buffer.tag, buffer.stack});
  site.live_bytes += buffer.size;
  ++site.live_buffers;
  if (!window_open_) return;
  site.alloc_bytes += buffer.size;
  ++site.allocs;
  if (series.live > series.peak) {
    series.peak = series.live;
    series.peak_seq = buffer.seq;
    series.peak_time_ns = now_ns_;
    series.has_peak = true;
    ++series.epoch;
  }
}

void CaptureAnalysis::OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone, std::uint64_t) {
  const SeriesKey series_key{key.process, key.device, buffer.type};
  Series& series = SeriesOf(series_key);
  series.live -= buffer.size;
  Site& site = SiteOf(SiteKey{series_key, buffer.tag, buffer.stack});
  site.live_bytes -= buffer.size;
  --site.live_buffers;
  if (!window_open_ || !series.has_peak || buffer.seq > series.peak_seq) return;
  if (site.freed_since_peak_epoch != series.epoch) {
    site.freed_since_peak_epoch = series.epoch;
    site.freed_since_peak_bytes = 0;
    site.freed_since_peak_buffers = 0;
  }
  site.freed_since_peak_bytes += buffer.size;
  ++site.freed_since_peak_buffers;
}

void CaptureAnalysis::SnapshotAtMark() {
  for (auto& [key, site] : sites_) {
    if (site.marks != 0) {
      if (site.live_bytes > site.last_mark_bytes) ++site.rises;
      if (site.live_bytes < site.last_mark_bytes) ++site.falls;
    } else {
      site.first_mark_bytes = site.live_bytes;
    }
    site.last_mark_bytes = site.live_bytes;
    ++site.marks;
  }
}

std::vector<SeriesPeak> CaptureAnalysis::Peaks(const Ledger& ledger) const {
  absl::flat_hash_map<SeriesKey, SeriesPeak> peaks;
  absl::flat_hash_map<SiteKey, SiteAmount> at_peak;
  for (const auto& [key, series] : series_) {
    if (!series.has_peak) continue;
    peaks[key] = SeriesPeak{key, series.peak, series.peak_time_ns, series.peak_seq, {}};
  }
  for (const auto& [key, site] : sites_) {
    const auto series = series_.find(key.series);
    if (!series->second.has_peak || site.freed_since_peak_epoch != series->second.epoch) continue;
    SiteAmount& amount = at_peak.try_emplace(key, SiteAmount{key, 0, 0}).first->second;
    amount.bytes += site.freed_since_peak_bytes;
    amount.buffers += site.freed_since_peak_buffers;
  }
  // Still live at the end, allocated by the peak: live at the peak.
  ledger.ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) {
    const SeriesKey series_key{key.process, key.device, buffer.type};
    const auto series = series_.find(series_key);
    if (series == series_.end() || !series->second.has_peak || buffer.seq > series->second.peak_seq) return;
    const SiteKey site{series_key, buffer.tag, buffer.stack};
    SiteAmount& amount = at_peak.try_emplace(site, SiteAmount{site, 0, 0}).first->second;
    amount.bytes += buffer.size;
    ++amount.buffers;
  });
  for (const auto& [key, amount] : at_peak) peaks[key.series].live.push_back(amount);
  std::vector<SeriesPeak> result;
  for (auto& [key, peak] : peaks) {
    std::sort(peak.live.begin(), peak.live.end(), [](const SiteAmount& a, const SiteAmount& b) {
      return a.bytes != b.bytes ? a.bytes > b.bytes : a.site.stack < b.site.stack || (a.site.stack == b.site.stack && a.site.tag < b.site.tag);
    });
    result.push_back(std::move(peak));
  }
  std::sort(result.begin(), result.end(), [](const SeriesPeak& a, const SeriesPeak& b) {
    return std::tie(a.series.process, a.series.device, a.series.type) <
           std::tie(b.series.process, b.series.device, b.series.type);
  });
  return result;
}

std::vector<SiteAmount> CaptureAnalysis::Top(std::size_t n, bool by_bytes) const {
  std::vector<SiteAmount> all;
  for (const auto& [key, site] : sites_) {
    if (site.allocs != 0) all.push_back(SiteAmount{key, site.alloc_bytes, site.allocs});
  }
  const auto order = [by_bytes](const SiteAmount& a, const SiteAmount& b) {
    const auto ka = by_bytes ? std::tie(a.bytes, a.buffers) : std::tie(a.buffers, a.bytes);
    const auto kb = by_bytes ? std::tie(b.bytes, b.buffers) : std::tie(b.buffers, b.bytes);
    if (ka != kb) return ka > kb;
    return std::tie(a.site.series.device, a.site.series.type, a.site.tag, a.site.stack) <
           std::tie(b.site.series.device, b.site.series.type, b.site.tag, b.site.stack);
  };
  const std::size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), order);
  all.resize(keep);
  return all;
}

std::vector<SiteAmount> CaptureAnalysis::TopByBytes(std::size_t n) const { return Top(n, true); }
std::vector<SiteAmount> CaptureAnalysis::TopByCount(std::size_t n) const { return Top(n, false); }

std::vector<SiteGrowth> CaptureAnalysis::Growth() const {
  std::vector<SiteGrowth> growing;
  for (const auto& [key, site] : sites_) {
    if (site.falls != 0 || site.rises < kMinGrowthRises || site.last_mark_bytes <= site.first_mark_bytes) continue;
    growing.push_back(SiteGrowth{key, site.first_mark_bytes, site.last_mark_bytes, site.rises, site.marks - 1});
  }
  std::sort(growing.begin(), growing.end(), [](const SiteGrowth& a, const SiteGrowth& b) {
    // Faster growth (bytes per interval) first.
    const double ra = static_cast<double>(a.last_bytes - a.first_bytes) / a.intervals;
    const double rb = static_cast<double>(b.last_bytes - b.first_bytes) / b.intervals;
    if (ra != rb) return ra > rb;
    return std::tie(a.site.series.device, a.site.series.type, a.site.tag, a.site.stack) <
           std::tie(b.site.series.device, b.site.series.type, b.site.tag, b.site.stack);
  });
  return growing;
}

ReplayResult ReplayAnalyzed(std::span<const std::string> files, Ledger& ledger, CaptureAnalysis& analysis,
                            BufferListener* also,
                            std::function<void(std::uint64_t bytes_read, std::uint64_t file_bytes)> progress) {
  std::optional<BufferListenerFanout> both;
  if (also != nullptr) both.emplace(std::initializer_list<BufferListener*>{&analysis, also});
  ledger.set_listener(both ? static_cast<BufferListener*>(&*both) : &analysis);
  ReplayResult result = ReplayCapture(
      files, ledger,
      {.observer = analysis.Observer(), .stop_before = analysis.StopBefore(), .progress = std::move(progress)});
  ledger.set_listener(nullptr);
  return result;
}

}  // namespace memledger
