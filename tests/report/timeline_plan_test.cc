// timeline_plan_test.cc — TimelinePlan, what a bounded page keeps: each
// bucket's lowest, highest and last change of every pool (the lowest and
// highest of the totals it was in after an instant, not between two changes
// at one instant), buckets that widen and keep that true, every pool's peak,
// and detail windows within their budget.
#include "report/timeline_plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace memledger {
namespace {

// The truth the plan is checked against: every (time, total) after each
// instant of one pool.
struct Instant {
  std::uint64_t time;
  std::int64_t total;
  std::uint64_t last_change;
};

TEST(TimelinePlanTest, ShowsEachBucketsLowestHighestAndLastInstant) {
  TimelinePlan plan;
  // One pool: +10 at t=0, +5 and -12 at t=1 (one instant: 3, never 15), +20 at t=2.
  plan.Add(0, 0, 0, 10);
  plan.Add(0, 1, 1, 5);
  plan.Add(0, 2, 1, -12);
  plan.Add(0, 3, 2, 20);
  plan.Settle();
  // Buckets of 1 ns: each instant is its own bucket's lowest, highest and last.
  EXPECT_EQ(plan.bucket_ns(), 1u);
  EXPECT_EQ(plan.Shown(0), (std::vector<std::uint64_t>{0, 2, 3})) << "change 1 (15, between two at one instant) shown";
}

TEST(TimelinePlanTest, WideningKeepsEveryBucketsExtremesAndThePeak) {
  std::mt19937_64 random(7);
  TimelinePlan plan;
  std::vector<std::vector<Instant>> truth(3);
  std::vector<std::int64_t> totals(3, 0);
  std::uint64_t time = 0;
  for (std::uint64_t change = 0; change < 200'000; ++change) {
    time += random() % 3 == 0 ? 0 : random() % 5000;  // a third share an instant with the one before
    const auto pool = static_cast<std::uint32_t>(random() % 3);
    const std::int64_t delta = static_cast<std::int64_t>(random() % 1000) - 480;
    plan.Add(pool, change, time, delta);
    totals[pool] += delta;
    auto& instants = truth[pool];
    if (!instants.empty() && instants.back().time == time) {
      instants.back() = Instant{time, totals[pool], change};
    } else {
      instants.push_back(Instant{time, totals[pool], change});
    }
  }
  plan.Settle();
  ASSERT_GT(plan.bucket_ns(), 1u) << "the buckets never widened: the test shows nothing";
  for (std::uint32_t pool = 0; pool < 3; ++pool) {
    const std::vector<std::uint64_t> shown = plan.Shown(pool);
    ASSERT_TRUE(std::is_sorted(shown.begin(), shown.end()));
    // Per bucket, the truth's lowest and highest totals are among the shown
    // instants, and so is its last.
    std::uint64_t checked = 0;
    for (std::size_t i = 0; i < truth[pool].size();) {
      const std::uint64_t bucket = truth[pool][i].time / plan.bucket_ns();
      std::int64_t low = INT64_MAX, high = INT64_MIN, shown_low = INT64_MAX, shown_high = INT64_MIN;
      std::uint64_t last = 0;
      for (; i < truth[pool].size() && truth[pool][i].time / plan.bucket_ns() == bucket; ++i) {
        const Instant& at = truth[pool][i];
        low = std::min(low, at.total);
        high = std::max(high, at.total);
        last = at.last_change;
        if (std::binary_search(shown.begin(), shown.end(), at.last_change)) {
          shown_low = std::min(shown_low, at.total);
          shown_high = std::max(shown_high, at.total);
        }
      }
      ASSERT_EQ(shown_low, low) << "pool " << pool << ", bucket " << bucket;
      ASSERT_EQ(shown_high, high) << "pool " << pool << ", bucket " << bucket;
      ASSERT_TRUE(std::binary_search(shown.begin(), shown.end(), last)) << "pool " << pool << ", bucket " << bucket;
      ++checked;
    }
    EXPECT_LE(shown.size(), 3 * checked);
    EXPECT_LE(checked, TimelinePlan::kBuckets);
  }
}

TEST(TimelinePlanTest, WindowsStayWithinTheirBudgetInChangeOrder) {
  TimelinePlan plan;
  // Pool 0 peaks at change 50,000, pool 1 at 150,000; two failures.
  for (std::uint64_t change = 0; change < 200'000; ++change) {
    const bool first = change % 2 == 0;
    const std::int64_t delta = first ? (change < 50'000 ? 1 : -1) : (change < 150'000 ? 1 : -1);
    plan.Add(first ? 0 : 1, change, change, delta);
    if (change == 120'000) plan.AddFailure(change + 1, 1);
    if (change == 190'000) plan.AddFailure(change + 1, 2);
  }
  plan.Settle();
  const std::uint64_t budget = 40'000;
  const std::vector<DetailWindow> windows = plan.Windows(budget, {"DRAM on device 0", "L1 on device 0"});
  ASSERT_FALSE(windows.empty());
  std::uint64_t kept = 0;
  for (std::size_t i = 0; i < windows.size(); ++i) {
    EXPECT_LT(windows[i].begin, windows[i].end);
    if (i > 0) {
      EXPECT_GT(windows[i].begin, windows[i - 1].end) << "overlapping or touching windows";
    }
    kept += windows[i].end - windows[i].begin;
  }
  EXPECT_LE(kept, budget);
  EXPECT_EQ(windows.back().end, 200'000u);
  const auto covered = [&](std::uint64_t change, const char* why) {
    return std::any_of(windows.begin(), windows.end(), [&](const DetailWindow& w) {
      return w.begin <= change && change < w.end && w.why.find(why) != std::string::npos;
    });
  };
  EXPECT_TRUE(covered(199'999, "the end"));
  EXPECT_TRUE(covered(49'998, "the peak of DRAM on device 0"));
  EXPECT_TRUE(covered(149'999, "the peak of L1 on device 0"));
  EXPECT_TRUE(covered(120'000, "allocation failure 1"));
}

// A failing run's page shows why it failed before the pools' peaks: with
// more peaks than the budget holds, the first and the last failure still
// get their windows (and the peaks what is left).
TEST(TimelinePlanTest, TheFirstAndTheLastFailureComeBeforeThePeaks) {
  TimelinePlan plan;
  constexpr std::uint32_t kPools = 12;
  // Pool p rises until change 10,000 x (p + 1), then falls; failures at 5,000, 60,000 and 125,000.
  for (std::uint64_t change = 0; change < 130'000; ++change) {
    const auto pool = static_cast<std::uint32_t>(change % kPools);
    plan.Add(pool, change, change, change < 10'000 * (pool + 1) ? 1 : -1);
    if (change == 5'000 || change == 60'000 || change == 125'000) plan.AddFailure(change + 1, change / 5'000);
  }
  plan.Settle();
  std::vector<std::string> names;
  for (std::uint32_t p = 0; p < kPools; ++p) names.push_back(fmt::format("pool {}", p));
  const std::vector<DetailWindow> windows = plan.Windows(8'000, names);
  const auto covered = [&](std::uint64_t change, const std::string& why) {
    return std::any_of(windows.begin(), windows.end(), [&](const DetailWindow& w) {
      return w.begin <= change && change < w.end && w.why.find(why) != std::string::npos;
    });
  };
  EXPECT_TRUE(covered(5'000, "allocation failure 1"));
  EXPECT_TRUE(covered(125'000, "allocation failure 25"));
  std::size_t peaks = 0;
  for (const DetailWindow& w : windows) peaks += w.why.find("the peak of") != std::string::npos;
  EXPECT_GT(peaks, 0u) << "the peaks get what is left";
  EXPECT_LT(peaks, kPools) << "not every peak fits: the failures came first";
}

}  // namespace
}  // namespace memledger
