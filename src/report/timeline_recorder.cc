// timeline_recorder.cc — see timeline_recorder.h.
#include "report/timeline_recorder.h"

#include <algorithm>

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

}  // namespace

TimelineRecorder::TimelineRecorder(const CaptureAnalysis& analysis, const Ledger& ledger)
    : analysis_(analysis), ledger_(ledger) {
  site_keys_.emplace_back(0, 0);
}

std::uint32_t TimelineRecorder::SiteIndex(std::uint32_t process, std::uint32_t stack) {
  if (stack == 0) return 0;
  const std::uint64_t key = (std::uint64_t{process} << 32) | stack;
  auto [it, inserted] = sites_.try_emplace(key, static_cast<std::uint32_t>(site_keys_.size()));
  if (inserted) site_keys_.emplace_back(process, stack);
  return it->second;
}

void TimelineRecorder::Add(const LiveKey& key, const LiveBuffer& buffer, std::uint64_t time_ns, std::int64_t delta) {
  const SeriesKey series{key.process, key.device, buffer.type, buffer.tag};
  auto [it, inserted] = series_.try_emplace(series, static_cast<std::uint32_t>(series_keys_.size()));
  if (inserted) series_keys_.push_back(series);
  const std::uint64_t origin = analysis_.first_time_ns();
  // Times only go forward on the chart (records' times do, but a buffer gone
  // at the end takes the end's time; an older capture's batch shares one).
  last_time_ns_ = std::max(last_time_ns_, time_ns > origin ? time_ns - origin : 0);
  // Failures change no buffer: those booked since the last change came after it.
  while (failure_changes_.size() < ledger_.failures().size()) failure_changes_.push_back(timeline_.changes.size());
  timeline_.changes.push_back(
      TimelineChange{last_time_ns_, delta, it->second, SiteIndex(key.process, buffer.stack), buffer.address});
}

void TimelineRecorder::OnLive(const LiveKey& key, const LiveBuffer& buffer) {
  Add(key, buffer, buffer.time_ns, static_cast<std::int64_t>(buffer.size));
}

void TimelineRecorder::OnGone(const LiveKey& key, const LiveBuffer& buffer, BufferGone, std::uint64_t time_ns) {
  Add(key, buffer, time_ns, -static_cast<std::int64_t>(buffer.size));
}

Timeline TimelineRecorder::Finish(const Ledger& ledger, std::string title, std::string problem,
                                  SiteStacks& stacks) {
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
  for (const SeriesKey& key : series_keys_) {
    const std::uint16_t device = SeriesDevice(ledger, memledger::SeriesKey{key.process, key.device, key.type});
    timeline.series.push_back(TimelineSeries{device, DeviceTitle(ledger, device), ledger.type_name(key.type),
                                             std::string(ledger.tag_name(key.process, key.tag)),
                                             ledger.InMaps(static_cast<ProcessIndex>(key.process), key.device)});
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
    const std::uint64_t change = i < failure_changes_.size() ? failure_changes_[i] : timeline.changes.size();
    // Its instant on the page: not before the changes it saw (their times only go forward there).
    const std::uint64_t time = std::max(f.time_ns > origin ? f.time_ns - origin : 0,
                                        change == 0 ? 0 : timeline.changes[change - 1].time_ns);
    const FreeSpaceMap* space = ledger.FreeSpace(f.device, f.space_type);
    timeline.failures.push_back(TimelineFailure{
        i + 1, f.seq, time, change, f.device, DeviceTitle(ledger, f.device), ledger.type_name(f.type),
        ledger.type_name(f.space_type), std::string(FailureVerdictName(f.verdict)), f.size, f.extent,
        SiteIndex(f.process, f.stack), std::string(ledger.tag_name(f.process, f.tag)), f.has_map, f.banks,
        f.figures.free_bytes, f.figures.holes, f.figures.largest_free_block,
        space != nullptr ? FailurePlaceOf(f, space->geometry()) : std::nullopt});
  }
  // Every site read before any is named: their headlines are distinct.
  std::vector<const SiteStack*> read;
  for (const auto& [process, stack] : site_keys_) read.push_back(&stacks.Read(ledger.processes()[process], stack));
  std::vector<std::string> identities;
  for (const SiteStack* stack : read) {
    timeline.sites.push_back(TimelineSite{stacks.Lines(*stack), stacks.Headline(*stack), stacks.Boxes(*stack)});
    identities.push_back(stack->identity);
  }
  MergeSitesByIdentity(timeline, identities);
  for (auto* list : {&timeline.top_by_bytes, &timeline.top_by_count}) list->resize(std::min(list->size(), kTopSites));
  timeline.growth.resize(std::min(timeline.growth.size(), kTopSites));
  return timeline;
}

}  // namespace memledger
