// timeline_site_merge_test.cc — sites with one identity become one site
// everywhere a Timeline names them, their amounts summed.
#include "report/timeline_site_merge.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

TEST(TimelineSiteMerge, SitesWithOneIdentityBecomeOne) {
  Timeline timeline;
  for (const char* headline :
       {"(no stack)", "load at a.cc:1", "load at a.cc:1 (other return address)", "step at b.cc:2"}) {
    timeline.sites.push_back(TimelineSite{{headline}, headline, {headline}});
  }
  timeline.changes = {{10, 100, 0, 1}, {20, 50, 0, 2}, {30, 7, 0, 3}, {40, -100, 0, 1}};
  timeline.peaks.push_back(TimelinePeak{0, "n300", "DRAM", 157, 30, 0,
                                        {{1, "w", 100, 1}, {3, "w", 7, 1}, {2, "w", 50, 1}}, {}});
  timeline.leaks = {{{0, "n300", "DRAM", "w", 2}, 50, 1}, {{0, "n300", "DRAM", "w", 1}, 10, 1},
                    {{0, "n300", "DRAM", "w", 3}, 20, 1}};
  timeline.anomalies = {{"double_free", 1, 2, 1, "freed twice"}};
  timeline.top_by_bytes = {{{0, "n300", "DRAM", "w", 1}, 100, 1}, {{0, "n300", "DRAM", "w", 3}, 70, 1},
                           {{0, "n300", "DRAM", "w", 2}, 50, 1}};
  timeline.growth = {{{0, "n300", "DRAM", "w", 2}, 10, 40, 3, 5}, {{0, "n300", "DRAM", "w", 1}, 5, 10, 4, 5}};

  MergeSitesByIdentity(timeline, {"", "load\x1f" "a.cc:1", "load\x1f" "a.cc:1", "step\x1f" "b.cc:2"});

  ASSERT_EQ(timeline.sites.size(), 3u);
  EXPECT_EQ(timeline.sites[1].headline, "load at a.cc:1");
  EXPECT_EQ(timeline.sites[2].headline, "step at b.cc:2");
  EXPECT_EQ(timeline.changes[1].site, 1u) << "site 2 is site 1 now";
  EXPECT_EQ(timeline.changes[2].site, 2u) << "site 3 moved down";
  ASSERT_EQ(timeline.peaks[0].sites.size(), 2u);
  EXPECT_EQ(timeline.peaks[0].sites[0].bytes, 150u);
  EXPECT_EQ(timeline.peaks[0].sites[0].buffers, 2u);
  ASSERT_EQ(timeline.leaks.size(), 2u);
  EXPECT_EQ(timeline.leaks[0].bytes, 60u) << "largest first";
  EXPECT_EQ(timeline.anomalies[0].site, 1u);
  EXPECT_EQ(timeline.anomalies[0].alloc_site, 1u);
  ASSERT_EQ(timeline.top_by_bytes.size(), 2u);
  EXPECT_EQ(timeline.top_by_bytes[0].bytes, 150u);
  EXPECT_EQ(timeline.top_by_bytes[1].place.site, 2u);
  ASSERT_EQ(timeline.growth.size(), 1u);
  EXPECT_EQ(timeline.growth[0].first_bytes, 15u);
  EXPECT_EQ(timeline.growth[0].last_bytes, 50u);
}

}  // namespace
}  // namespace memledger
