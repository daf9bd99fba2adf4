// timeline_recorder.cc — see timeline_recorder.h.
#include "report/timeline_recorder.h"

#include <algorithm>

#include <fmt/format.h>

#include "report/anomaly_facts.h"
#include "report/leak_sites.h"
#include "report/names.h"
#include "report/stack_text.h"
#include "report/timeline_site_merge.h"

namespace memledger {
namespace {

// Sites per top list and growth list on the page (the text report shows 10
// by default; the page's tables fold, so it can afford more), chosen after
// merging sites by identity among the largest kTopCandidates (as the text
// report does: the parts of a site need not each be among the largest).
constexpr std::size_t kTopSites = 25;
constexpr std::size_t kTopCandidates = 1000;
// A change of a coarse series (a bounded page's) carries its series' index
// with this bit until Finish numbers the coarse series after the others.
constexpr std::uint32_t kCoarseSeries = 1u << 31;
// The process of the coarse series' one site (TimelineRecorder::Detail).
constexpr std::uint32_t kCoarseProcess = UINT32_MAX;

}  // namespace

TimelineRecorder::TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger, std::uint64_t budget)
    : analysis_(analysis), ledger_(ledger), budget_(budget), since_ns_(analysis.window().since_ns.value_or(0)) {
  site_keys_.emplace_back(0, 0);
}

TimelineRecorder::TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger,
                                   const TimelineRecorder& first)
    : TimelineRecorder(analysis, ledger, first.budget_) {
  TimelinePlan plan = first.plan_;
  plan.Settle();
  // Half the budget for the coarse series: each shown change of a pool
  // moves at most its series; the buckets widen until that fits.
  const auto coarse_changes = [&] {
    std::uint64_t changes = 0;
    for (std::uint32_t p = 0; p < plan.pools(); ++p) changes += plan.Shown(p).size() * first.pool_series_[p].size();
    return changes;
  };
  while (coarse_changes() > budget_ / 2 && plan.bucket_ns() <= first.last_time_ns_) plan.Widen();
  // The other half for the windows: their changes (a quarter) and the
  // buffers live when each begins and ends.
  detail_ = std::make_unique<Detail>();
  Detail& d = *detail_;
  d.windows = plan.Windows(budget_ / 4, first.PoolNames());
  d.inside = !d.windows.empty() && d.windows[0].begin == 0;
  if (d.inside) d.times.push_back(TimelineWindow{since_ns_, 0, d.windows[0].why});
  for (std::uint32_t p = 0; p < plan.pools(); ++p) d.shown.push_back(plan.Shown(p));
  d.next_shown.assign(plan.pools(), 0);
  d.changes_total = plan.changes();
  d.bucket_ns = plan.bucket_ns();
  // The coarse series' one site: no process has this one.
  d.coarse_site = static_cast<std::uint32_t>(site_keys_.size());
  site_keys_.emplace_back(kCoarseProcess, 0);
}

std::uint32_t TimelineRecorder::SiteIndex(std::uint32_t process, std::uint32_t stack) {
  if (stack == 0) return 0;
  const std::uint64_t key = (std::uint64_t{process} << 32) | stack;
  auto [it, inserted] = sites_.try_emplace(key, static_cast<std::uint32_t>(site_keys_.size()));
  if (inserted) site_keys_.emplace_back(process, stack);
  return it->second;
}

std::uint32_t TimelineRecorder::SeriesIndex(const LiveKey& key, const LiveBuffer& buffer) {
  const SeriesKey series{key.process, key.device, buffer.type, buffer.tag};
  auto [it, inserted] = series_.try_emplace(series, static_cast<std::uint32_t>(series_keys_.size()));
  if (inserted) {
    series_keys_.push_back(series);
    // One chart per ledger-wide device × type (processes sharing a device
    // share it), as the device was bound when the series began.
    const std::uint16_t device = SeriesDevice(ledger_, memledger::SeriesKey{key.process, key.device, buffer.type});
    series_devices_.push_back(device);
    const std::uint64_t pool_key = (std::uint64_t{device} << 16) | buffer.type;
    auto [pool, added] = pools_.try_emplace(pool_key, static_cast<std::uint32_t>(pool_series_.size()));
    if (added) pool_series_.emplace_back();
    pool_series_[pool->second].push_back(it->second);
    series_pool_.push_back(pool->second);
    if (detail_) {
      detail_->live.push_back(0);
      detail_->coarse.push_back(0);
    }
  }
  return it->second;
}

void TimelineRecorder::Emit(std::uint32_t series, std::uint32_t site, std::int64_t delta, std::uint64_t address) {
  timeline_.changes.push_back(TimelineChange{last_time_ns_, delta, series, site, address});
}

void TimelineRecorder::Add(const LiveKey& key, const LiveBuffer& buffer, std::uint64_t time_ns, std::int64_t delta,
                           bool gone) {
  const std::uint64_t origin = analysis_.first_time_ns();
  // Times only go forward on the chart (records' times do, but a buffer gone
  // at the end takes the end's time; an older capture's batch shares one).
  const std::uint64_t time = std::max(last_time_ns_, time_ns > origin ? time_ns - origin : 0);
  // Before the report's window (--since) nothing is on the page: it begins
  // with what was live then.
  if (time < since_ns_) {
    last_time_ns_ = time;
    return;
  }
  // The second reading ends where the first one did (a capture still being
  // written may have grown since).
  if (detail_ && seen_ == detail_->changes_total) return;
  // What the ledger holds now but for this change: a buffer it just took is
  // not on the page yet; one it is letting go still is.
  const LiveKey* not_yet = gone ? nullptr : &key;
  if (!begun_) BeginWithLive(not_yet);
  NoteFailures();
  if (detail_ && detail_->closing && time != last_time_ns_) CloseWindow(not_yet);
  last_time_ns_ = time;
  const std::uint32_t series = SeriesIndex(key, buffer);
  const std::uint32_t pool = series_pool_[series];
  const std::uint64_t number = seen_++;
  if (!detail_) {
    plan_.Add(pool, number, last_time_ns_, delta);
    if (bounded_) return;
    Emit(series, SiteIndex(key.process, buffer.stack), delta, buffer.address);
    if (timeline_.changes.size() > budget_) {
      bounded_ = true;  // the second replay makes the page
      std::vector<TimelineChange>().swap(timeline_.changes);
    }
    return;
  }
  Detail& d = *detail_;
  d.live[series] += delta;
  if (d.inside) {
    Emit(series, SiteIndex(key.process, buffer.stack), delta, buffer.address);
  } else if (pool < d.shown.size()) {
    const std::vector<std::uint64_t>& shown = d.shown[pool];
    std::size_t& next = d.next_shown[pool];
    while (next < shown.size() && shown[next] < number) ++next;
    if (next < shown.size() && shown[next] == number) ShowPool(pool);
  }
  if (d.window == d.windows.size()) return;
  if (!d.inside && number + 1 == d.windows[d.window].begin) {
    const DetailWindow& next = d.windows[d.window];
    // Its changes, the live buffers it begins and ends with and the coarse
    // series it hands over to and back: a window they would take past the
    // budget is left coarse.
    const std::uint64_t cost = (next.end - next.begin) + 2 * (ledger_.live_buffer_count() + d.live.size());
    if (d.window_changes + cost <= budget_ / 2) {
      EnterWindow(gone ? &key : nullptr);
    } else {
      ++d.window;
    }
  } else if (d.inside && number + 1 == d.windows[d.window].end && d.windows[d.window].end < d.changes_total) {
    d.closing = true;  // at the end of this instant
  }
}

void TimelineRecorder::ShowPool(std::uint32_t pool) {
  Detail& d = *detail_;
  for (const std::uint32_t s : pool_series_[pool]) {
    if (d.live[s] == d.coarse[s]) continue;
    Emit(s | kCoarseSeries, d.coarse_site, d.live[s] - d.coarse[s]);
    d.coarse[s] = d.live[s];
  }
}

std::vector<std::pair<LiveKey, const LiveBuffer*>> TimelineRecorder::LiveBut(const LiveKey* left_out) const {
  std::vector<std::pair<LiveKey, const LiveBuffer*>> live;
  ledger_.ForEachLive([&](const LiveKey& key, const LiveBuffer& buffer) {
    if (left_out == nullptr || !(key == *left_out)) live.emplace_back(key, &buffer);
  });
  // In the order they were allocated (then by identity): the same page on every run.
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.process, a.second->seq, a.first.device, a.first.type, a.first.identity) <
           std::tie(b.first.process, b.second->seq, b.first.device, b.first.type, b.first.identity);
  });
  return live;
}

void TimelineRecorder::EmitLive(int sign, const LiveKey* left_out) {
  for (const auto& [key, buffer] : LiveBut(left_out)) {
    Emit(SeriesIndex(key, *buffer), SiteIndex(key.process, buffer->stack),
         sign * static_cast<std::int64_t>(buffer->size), buffer->address);
  }
}

void TimelineRecorder::ShowCoarse() {
  Detail& d = *detail_;
  for (std::uint32_t s = 0; s < d.live.size(); ++s) {
    if (d.live[s] != d.coarse[s]) Emit(s | kCoarseSeries, d.coarse_site, d.live[s] - d.coarse[s]);
    d.coarse[s] = d.live[s];
  }
}

void TimelineRecorder::NoteFailures() {
  const std::uint64_t origin = analysis_.first_time_ns();
  while (failure_changes_.size() < ledger_.failures().size()) {
    const std::size_t i = failure_changes_.size();
    const AllocationFailure& f = ledger_.failures()[i];
    // One before --since is not on the page: the changes before it are not kept.
    const bool on_page = f.time_ns - std::min(f.time_ns, origin) >= since_ns_;
    failure_changes_.push_back(timeline_.changes.size());
    failure_in_detail_.push_back(on_page && (!detail_ || detail_->inside));
    if (!detail_ && on_page) plan_.AddFailure(seen_, i + 1);
  }
}

void TimelineRecorder::BeginWithLive(const LiveKey* left_out) {
  begun_ = true;
  if (since_ns_ == 0) return;  // from the first record: nothing was live before it
  last_time_ns_ = std::max(last_time_ns_, since_ns_);
  for (const auto& [key, buffer] : LiveBut(left_out)) {
    const std::uint32_t series = SeriesIndex(key, *buffer);
    const auto size = static_cast<std::int64_t>(buffer->size);
    if (detail_) {
      detail_->live[series] += size;
    } else {
      plan_.Begin(series_pool_[series], size);
    }
    if (!detail_ || detail_->inside) Emit(series, SiteIndex(key.process, buffer->stack), size, buffer->address);
  }
  if (detail_ && !detail_->inside) ShowCoarse();
}

void TimelineRecorder::EnterWindow(const LiveKey* left_out) {
  Detail& d = *detail_;
  // At one instant: the page draws a group of changes at one time as one step.
  for (std::uint32_t s = 0; s < d.coarse.size(); ++s) {
    if (d.coarse[s] != 0) Emit(s | kCoarseSeries, d.coarse_site, -d.coarse[s]);
    d.coarse[s] = 0;
  }
  d.entered_at = timeline_.changes.size();
  EmitLive(+1, left_out);
  d.inside = true;
  d.times.push_back(TimelineWindow{last_time_ns_, 0, d.windows[d.window].why});
}

void TimelineRecorder::CloseWindow(const LiveKey* left_out) {
  Detail& d = *detail_;
  d.closing = false;
  // Windows that began in this one's last instant make one window with it,
  // which goes on unless they ended in that instant too.
  while (d.window + 1 < d.windows.size() && d.windows[d.window + 1].begin <= seen_) {
    ++d.window;
    d.times.back().why += "; " + d.windows[d.window].why;
  }
  if (d.windows[d.window].end > seen_ || d.windows[d.window].end >= d.changes_total) return;
  EmitLive(-1, left_out);
  ShowCoarse();
  d.inside = false;
  d.window_changes += timeline_.changes.size() - d.entered_at;
  d.times.back().end_ns = last_time_ns_;
  ++d.window;
}

void TimelineRecorder::OnLive(const LiveKey& key, const LiveBuffer& buffer) {
  Add(key, buffer, buffer.time_ns, static_cast<std::int64_t>(buffer.size), false);
}

void TimelineRecorder::OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone, std::uint64_t time_ns) {
  Add(key, buffer, time_ns, -static_cast<std::int64_t>(buffer.size), true);
}

std::vector<std::string> TimelineRecorder::PoolNames() const {
  std::vector<std::string> names(pool_series_.size());
  for (std::size_t p = 0; p < pool_series_.size(); ++p) {
    const SeriesKey& key = series_keys_[pool_series_[p].front()];
    const std::uint16_t device = series_devices_[pool_series_[p].front()];
    names[p] = fmt::format("{} on device {} ({})", ledger_.type_name(key.type), device, DeviceTitle(ledger_, device));
  }
  return names;
}

Timeline TimelineRecorder::Finish(const Ledger& ledger, std::string title, std::string problem,
                                  SiteStacks& stacks) {
  // A page with no change after --since begins there all the same; and the
  // failures booked after the last change are counted.
  if (!begun_) BeginWithLive(nullptr);
  NoteFailures();
  Timeline timeline = std::move(timeline_);
  timeline_ = Timeline{};
  timeline.title = std::move(title);
  timeline.problem = std::move(problem);
  timeline.duration_ns = analysis_.duration_ns();
  timeline.since_ns = std::min(analysis_.window().since_ns.value_or(0), timeline.duration_ns);
  timeline.events = ledger.events();
  const LeakSiteTotals live = LiveAtEnd(ledger);
  timeline.live_at_end_buffers = live.buffers;
  timeline.live_at_end_bytes = live.bytes;
  // Devices by ledger-wide id (device_table.h); series keep the process's own number until here.
  for (std::size_t s = 0; s < series_keys_.size(); ++s) {
    const SeriesKey& key = series_keys_[s];
    const std::uint16_t device = series_devices_[s];
    timeline.series.push_back(TimelineSeries{device, DeviceTitle(ledger, device), ledger.type_name(key.type),
                                             std::string(ledger.tag_name(key.process, key.tag)),
                                             ledger.InMaps(static_cast<ProcessIndex>(key.process), key.device)});
  }
  if (detail_) {
    // A coarse stand-in after the others for every series, in the same order.
    const auto count = static_cast<std::uint32_t>(timeline.series.size());
    for (std::uint32_t s = 0; s < count; ++s) {
      TimelineSeries coarse = timeline.series[s];
      coarse.in_maps = false;
      coarse.coarse = true;
      timeline.series.push_back(std::move(coarse));
    }
    for (TimelineChange& change : timeline.changes) {
      if ((change.series & kCoarseSeries) != 0) change.series = count + (change.series & ~kCoarseSeries);
    }
    Detail& d = *detail_;
    if (d.inside && !d.times.empty()) d.times.back().end_ns = std::max(timeline.duration_ns, last_time_ns_);
    timeline.detail = TimelineDetail{d.changes_total, d.bucket_ns, d.coarse_site, std::move(d.times)};
  }
  // Sites of leaks and anomalies may have no change in the window: index them first.
  const auto leaks = SortedLeakSites(ledger);
  const auto anomalies = SortedAnomalySites(ledger);
  const auto place = [&](std::uint16_t device, std::size_t type, std::uint32_t process, std::uint32_t tag,
                         std::uint32_t stack) {
    return TimelinePlace{device, DeviceTitle(ledger, device), ledger.type_name(type),
                         std::string(ledger.tag_name(process, tag)), SiteIndex(process, stack)};
  };
  for (const LeakSite& leak : leaks) {
    timeline.leaks.push_back(TimelineLeak{place(static_cast<std::uint16_t>(leak.key.device), leak.key.type,
                                                leak.key.process, leak.key.tag, leak.key.stack),
                                          leak.totals.bytes, leak.totals.buffers});
  }
  for (const AnomalySite& anomaly : anomalies) {
    timeline.anomalies.push_back(TimelineAnomaly{std::string(AnomalyName(anomaly.key.kind)), anomaly.count,
                                                 SiteIndex(anomaly.key.process, anomaly.key.stack),
                                                 SiteIndex(anomaly.key.process, anomaly.key.alloc_stack),
                                                 FactsOf(ledger, anomaly).what});
  }
  const auto site_place = [&](const SiteKey& site) {
    return place(SeriesDevice(ledger, site.series), site.series.type, site.series.process, site.tag, site.stack);
  };
  const auto site_total = [&](const SiteAmount& amount) {
    return TimelineSiteTotal{site_place(amount.site), amount.bytes, amount.buffers};
  };
  for (const SiteAmount& amount : analysis_.TopByBytes(kTopCandidates)) {
    timeline.top_by_bytes.push_back(site_total(amount));
  }
  for (const SiteAmount& amount : analysis_.TopByCount(kTopCandidates)) {
    timeline.top_by_count.push_back(site_total(amount));
  }
  for (const SiteGrowth& g : analysis_.Growth()) {
    timeline.growth.push_back(TimelineGrowth{site_place(g.site), g.first_bytes, g.last_bytes, g.rises, g.intervals});
  }
  for (const SeriesPeak& peak : analysis_.Peaks(ledger)) {
    const std::uint16_t device = SeriesDevice(ledger, peak.series);
    TimelinePeak out{device, DeviceTitle(ledger, device), ledger.type_name(peak.series.type), peak.bytes, peak.time_ns,
                     device < ledger.devices().size() ? ledger.devices()[device].capacity[peak.series.type] : 0,
                     {}, {}};
    const std::uint32_t process = peak.series.process;
    for (const SiteAmount& amount : peak.live) {
      out.sites.push_back(TimelineSiteBytes{SiteIndex(process, amount.site.stack),
                                            std::string(ledger.tag_name(process, amount.site.tag)), amount.bytes,
                                            amount.buffers});
    }
    for (const TagAmount& t : LiveByTag(peak)) {
      out.tags.push_back(TimelineTagBytes{std::string(ledger.tag_name(process, t.tag)), t.bytes, t.buffers});
    }
    timeline.peaks.push_back(std::move(out));
  }
  const std::uint64_t origin = analysis_.first_time_ns();
  for (const ProcessBooks& books : ledger.processes()) {
    for (const auto& [time_ns, label] : books.marks) {
      timeline.marks.push_back(TimelineMark{time_ns > origin ? time_ns - origin : 0, label});
    }
  }
  std::sort(timeline.marks.begin(), timeline.marks.end(),
            [](const TimelineMark& a, const TimelineMark& b) { return a.time_ns < b.time_ns; });
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const AddressSpaces& spaces = ledger.devices()[d].spaces;
    for (const DeclaredSpace& space : spaces.declared()) {
      const FreeSpaceMap* map = spaces.MapOf(space.type);
      const SpaceGeometry& g = space.geometry;
      timeline.spaces.push_back(TimelineSpace{
          static_cast<std::uint16_t>(d), DeviceTitle(ledger, static_cast<std::uint16_t>(d)),
          ledger.type_name(space.type), space.within == space.type ? "" : ledger.type_name(space.within), g.base,
          g.size, g.banks, g.alignment, map != nullptr ? map->granule() : 1});
    }
  }
  for (std::size_t i = 0; i < ledger.failures().size(); ++i) {
    const AllocationFailure& f = ledger.failures()[i];
    const std::uint64_t change = failure_changes_[i];
    // Its instant on the page: not before the changes it saw (their times only go forward there).
    const std::uint64_t time = std::max(f.time_ns > origin ? f.time_ns - origin : 0,
                                        change == 0 ? 0 : timeline.changes[change - 1].time_ns);
    const FreeSpaceMap* space = ledger.FreeSpace(f.device, f.space_type);
    timeline.failures.push_back(TimelineFailure{
        i + 1, f.seq, time, change, f.device, DeviceTitle(ledger, f.device), ledger.type_name(f.type),
        ledger.type_name(f.space_type), std::string(FailureVerdictName(f.verdict)), f.size, f.extent,
        SiteIndex(f.process, f.stack), std::string(ledger.tag_name(f.process, f.tag)), f.has_map, f.banks,
        f.figures.free_bytes, f.figures.holes, f.figures.largest_free_block,
        space != nullptr ? FailurePlaceOf(f, space->geometry()) : std::nullopt,
        failure_in_detail_[i]});
  }
  // Every site read before any is named: their headlines are distinct.
  std::vector<const SiteStack*> read;
  for (const auto& [process, stack] : site_keys_) {
    read.push_back(process == kCoarseProcess ? nullptr : &stacks.Read(ledger.processes()[process], stack));
  }
  std::vector<std::string> identities;
  for (const SiteStack* stack : read) {
    if (stack == nullptr) {  // the coarse series' site: one of its own
      timeline.sites.push_back(
          TimelineSite{{}, "between detail windows: this page keeps each pool's total, not its sites"});
      identities.emplace_back();
      continue;
    }
    timeline.sites.push_back(TimelineSite{stacks.Lines(*stack), stacks.Headline(*stack), stacks.Boxes(*stack)});
    identities.push_back(stack->identity);
  }
  MergeSitesByIdentity(timeline, identities);
  for (auto* list : {&timeline.top_by_bytes, &timeline.top_by_count}) list->resize(std::min(list->size(), kTopSites));
  timeline.growth.resize(std::min(timeline.growth.size(), kTopSites));
  return timeline;
}

}  // namespace memledger
