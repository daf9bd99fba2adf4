// timeline_plan.cc — see timeline_plan.h.
#include "report/timeline_plan.h"

#include <algorithm>

#include <fmt/format.h>

namespace memledger {

void TimelinePlan::Add(std::uint32_t pool, std::uint64_t number, std::uint64_t time_ns, std::int64_t delta) {
  if (pools_.size() <= pool) pools_.resize(pool + 1);
  Pool& p = pools_[pool];
  if (p.last_change != kNone && p.last_time_ns != time_ns) Settle(p);
  p.total += delta;
  p.last_change = number;
  p.last_time_ns = time_ns;
  changes_ = number + 1;
}

void TimelinePlan::Begin(std::uint32_t pool, std::int64_t total) {
  if (pools_.size() <= pool) pools_.resize(pool + 1);
  pools_[pool].total += total;
}

void TimelinePlan::Settle() {
  for (Pool& p : pools_) {
    if (p.last_change != kNone) Settle(p);
  }
}

void TimelinePlan::Settle(Pool& p) {
  const std::uint64_t number = p.last_change;
  p.last_change = kNone;
  while (p.last_time_ns / width_ns_ >= kBuckets) Widen();
  if (p.peak_change == kNone || p.total > p.peak) {
    p.peak = p.total;
    p.peak_change = number;
  }
  if (p.buckets.empty()) p.buckets.resize(kBuckets);
  Bucket& b = p.buckets[p.last_time_ns / width_ns_];
  if (b.last_change == kNone) {
    b = Bucket{p.total, p.total, number, number, number};
    return;
  }
  if (p.total < b.low) b.low = p.total, b.low_change = number;
  if (p.total > b.high) b.high = p.total, b.high_change = number;
  b.last_change = number;
}

void TimelinePlan::Widen() {
  for (Pool& p : pools_) {
    if (p.buckets.empty()) continue;
    for (std::size_t i = 0; i < kBuckets / 2; ++i) {
      const Bucket& a = p.buckets[2 * i];
      const Bucket& b = p.buckets[2 * i + 1];
      Bucket merged = a;
      if (merged.last_change == kNone) {
        merged = b;
      } else if (b.last_change != kNone) {
        if (b.low < merged.low) merged.low = b.low, merged.low_change = b.low_change;
        if (b.high > merged.high) merged.high = b.high, merged.high_change = b.high_change;
        merged.last_change = b.last_change;
      }
      p.buckets[i] = merged;
    }
    std::fill(p.buckets.begin() + kBuckets / 2, p.buckets.end(), Bucket{});
  }
  width_ns_ *= 2;
}

std::vector<std::uint64_t> TimelinePlan::Shown(std::uint32_t pool) const {
  std::vector<std::uint64_t> shown;
  if (pool >= pools_.size()) return shown;
  for (const Bucket& b : pools_[pool].buckets) {
    if (b.last_change == kNone) continue;
    std::uint64_t three[] = {b.low_change, b.high_change, b.last_change};
    std::sort(std::begin(three), std::end(three));
    for (const std::uint64_t change : three) {
      if (shown.empty() || shown.back() != change) shown.push_back(change);
    }
  }
  return shown;
}

std::vector<DetailWindow> TimelinePlan::Windows(std::uint64_t budget,
                                                const std::vector<std::string>& pool_names) const {
  std::vector<DetailWindow> wanted;
  const auto range = [&](std::uint64_t at, std::uint64_t before, std::uint64_t after, std::string why) {
    wanted.push_back(DetailWindow{at > before ? at - before : 0, std::min(changes_, at + after), std::move(why)});
  };
  const std::uint64_t around = std::max<std::uint64_t>(budget / 16, 1);
  range(changes_, budget / 4, 0, "the end");
  // The first failure (why the run began to fail) and the last (what it
  // ended with) before any peak: a page of a failing run answers that
  // first, whatever number of pools peaked; the other failures after them.
  const auto failure = [&](const std::pair<std::uint64_t, std::uint64_t>& f) {
    range(f.first, around, std::min<std::uint64_t>(around, 1024), fmt::format("allocation failure {}", f.second));
  };
  if (!failures_.empty()) failure(failures_.front());
  if (failures_.size() > 1) failure(failures_.back());
  std::vector<std::uint32_t> by_peak;
  for (std::uint32_t p = 0; p < pools_.size(); ++p) {
    if (pools_[p].peak_change != kNone && pools_[p].peak > 0) by_peak.push_back(p);
  }
  std::stable_sort(by_peak.begin(), by_peak.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return pools_[a].peak > pools_[b].peak; });
  for (const std::uint32_t p : by_peak) {
    range(pools_[p].peak_change, around, around + 1,
          "the peak of " + (p < pool_names.size() ? pool_names[p] : fmt::format("pool {}", p)));
  }
  for (std::size_t f = 1; f + 1 < failures_.size(); ++f) failure(failures_[f]);
  // Taken in that order while the union of their changes fits; then in
  // change order, overlaps joined.
  const auto union_length = [](std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges) {
    std::sort(ranges.begin(), ranges.end());
    std::uint64_t length = 0, covered_to = 0;
    for (const auto& [from, to] : ranges) {
      if (to > covered_to) length += to - std::max(from, covered_to);
      covered_to = std::max(covered_to, to);
    }
    return length;
  };
  std::vector<DetailWindow> taken;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> kept;
  for (DetailWindow& w : wanted) {
    if (taken.size() == kMaxWindows) break;
    if (w.begin >= w.end) continue;
    auto with = kept;
    with.emplace_back(w.begin, w.end);
    if (union_length(with) > budget) continue;
    kept = std::move(with);
    taken.push_back(std::move(w));
  }
  std::sort(taken.begin(), taken.end(), [](const DetailWindow& a, const DetailWindow& b) { return a.begin < b.begin; });
  std::vector<DetailWindow> joined;
  for (DetailWindow& w : taken) {
    if (!joined.empty() && w.begin <= joined.back().end) {
      joined.back().end = std::max(joined.back().end, w.end);
      joined.back().why += "; " + w.why;
    } else {
      joined.push_back(std::move(w));
    }
  }
  return joined;
}

}  // namespace memledger
