// timeline_site_merge.cc — see timeline_site_merge.h.
#include "report/timeline_site_merge.h"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <tuple>
#include <type_traits>
#include <utility>

namespace memledger {
namespace {

// Entries of `items` with one key (key_of) summed into the first (add), in
// first-seen order.
template <typename T, typename KeyOf, typename Add>
void SumEqual(std::vector<T>& items, KeyOf key_of, Add add) {
  std::map<std::remove_cvref_t<std::invoke_result_t<KeyOf, const T&>>, std::size_t> first;
  std::vector<T> summed;
  for (T& item : items) {
    const auto [it, added] = first.try_emplace(key_of(item), summed.size());
    if (added) {
      summed.push_back(std::move(item));
    } else {
      add(summed[it->second], item);
    }
  }
  items = std::move(summed);
}

// Where a finding is (TimelinePlace: device, type, tag, site).
template <typename T>
const TimelinePlace& PlaceOf(const T& item) {
  return item.place;
}

}  // namespace

void MergeSitesByIdentity(Timeline& timeline, const std::vector<std::string>& identities) {
  std::vector<std::uint32_t> merged(timeline.sites.size());
  std::vector<TimelineSite> sites;
  absl::flat_hash_map<std::string, std::uint32_t> by_identity;
  for (std::size_t i = 0; i < timeline.sites.size(); ++i) {
    const auto next = static_cast<std::uint32_t>(sites.size());
    const bool own = i == 0 || identities[i].empty();
    const std::uint32_t site = own ? next : by_identity.try_emplace(identities[i], next).first->second;
    if (site == next) sites.push_back(std::move(timeline.sites[i]));
    merged[i] = site;
  }
  if (sites.size() == timeline.sites.size()) return;
  timeline.sites = std::move(sites);

  for (TimelineChange& change : timeline.changes) change.site = merged[change.site];
  const auto by_bytes = [](const auto& a, const auto& b) { return a.bytes > b.bytes; };
  for (TimelinePeak& peak : timeline.peaks) {
    for (TimelineSiteBytes& site : peak.sites) site.site = merged[site.site];
    SumEqual(peak.sites, [](const TimelineSiteBytes& s) { return std::make_tuple(s.site, s.tag); },
             [](TimelineSiteBytes& into, const TimelineSiteBytes& s) {
               into.bytes += s.bytes;
               into.buffers += s.buffers;
             });
    std::stable_sort(peak.sites.begin(), peak.sites.end(), by_bytes);
  }
  for (TimelineLeak& leak : timeline.leaks) leak.place.site = merged[leak.place.site];
  SumEqual(timeline.leaks, PlaceOf<TimelineLeak>, [](TimelineLeak& into, const TimelineLeak& leak) {
    into.bytes += leak.bytes;
    into.buffers += leak.buffers;
  });
  std::stable_sort(timeline.leaks.begin(), timeline.leaks.end(), by_bytes);
  for (TimelineAnomaly& anomaly : timeline.anomalies) {
    anomaly.site = merged[anomaly.site];
    anomaly.alloc_site = merged[anomaly.alloc_site];
  }
  const auto add_total = [](TimelineSiteTotal& into, const TimelineSiteTotal& total) {
    into.bytes += total.bytes;
    into.allocations += total.allocations;
  };
  for (auto* top : {&timeline.top_by_bytes, &timeline.top_by_count}) {
    for (TimelineSiteTotal& total : *top) total.place.site = merged[total.place.site];
    SumEqual(*top, PlaceOf<TimelineSiteTotal>, add_total);
  }
  std::stable_sort(timeline.top_by_bytes.begin(), timeline.top_by_bytes.end(), by_bytes);
  const auto by_count = [](const TimelineSiteTotal& a, const TimelineSiteTotal& b) {
    return a.allocations > b.allocations;
  };
  std::stable_sort(timeline.top_by_count.begin(), timeline.top_by_count.end(), by_count);
  for (TimelineFailure& failure : timeline.failures) failure.site = merged[failure.site];
  if (timeline.detail) timeline.detail->coarse_site = merged[timeline.detail->coarse_site];
  for (TimelineGrowth& growth : timeline.growth) growth.place.site = merged[growth.place.site];
  SumEqual(timeline.growth, PlaceOf<TimelineGrowth>, [](TimelineGrowth& into, const TimelineGrowth& growth) {
    into.first_bytes += growth.first_bytes;
    into.last_bytes += growth.last_bytes;
    into.rises = std::max(into.rises, growth.rises);
    into.intervals = std::max(into.intervals, growth.intervals);
  });
}

}  // namespace memledger
