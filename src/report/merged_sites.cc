// merged_sites.cc — see merged_sites.h.
#include "report/merged_sites.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "report/names.h"

namespace memledger {

void SiteMerger::Add(std::uint32_t stack, const SitePlace& place) {
  const SiteStack& read = stacks_.Read(ledger_.processes()[place.process], stack);
  // Without frames nothing tells sites apart but their place: one each.
  const std::string key = !read.frames.empty() ? read.identity
                                               : fmt::format("\x1d{}/{}/{}/{}", place.process, place.device,
                                                             place.type, place.tag);
  auto [it, inserted] = index_.try_emplace(key, sites_.size());
  if (inserted) sites_.push_back(MergedSite{.stack = &read, .process = place.process});
  MergedSite& site = sites_[it->second];
  site.bytes += place.bytes;
  site.buffers += place.buffers;
  for (SitePlace& known : site.places) {
    if (std::tie(known.process, known.device, known.type, known.tag) ==
        std::tie(place.process, place.device, place.type, place.tag)) {
      known.bytes += place.bytes;
      known.buffers += place.buffers;
      return;
    }
  }
  site.places.push_back(place);
}

std::vector<MergedSite> SiteMerger::Take(SiteOrder order) {
  const auto amounts = [order](std::uint64_t bytes, std::uint64_t buffers) {
    return order == SiteOrder::kBytes ? std::pair(bytes, buffers) : std::pair(buffers, bytes);
  };
  for (MergedSite& site : sites_) {
    std::stable_sort(site.places.begin(), site.places.end(), [&](const SitePlace& a, const SitePlace& b) {
      return std::tie(b.bytes, b.buffers, a.process, a.device, a.type, a.tag) <
             std::tie(a.bytes, a.buffers, b.process, b.device, b.type, b.tag);
    });
  }
  std::stable_sort(sites_.begin(), sites_.end(), [&](const MergedSite& a, const MergedSite& b) {
    const auto ka = amounts(a.bytes, a.buffers), kb = amounts(b.bytes, b.buffers);
    if (ka != kb) return ka > kb;
    return a.stack->identity < b.stack->identity;
  });
  index_.clear();
  std::vector<MergedSite> out;
  out.swap(sites_);
  return out;
}

std::string SitePlaceLabel(const Ledger& ledger, const SitePlace& place, bool with_pid) {
  return PlaceLabel(ledger, place.device, place.type, place.process, place.tag, with_pid);
}

}  // namespace memledger
