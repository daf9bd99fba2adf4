// failure_report_test.cc — allocation failures and free space as the reports
// show them (src/report: failure_groups.h, failure_report.h, failure_json.h,
// space_map.h), from books built by hand (ledger_fixture.h), without
// stacks: a storm of identical failures is one group; a request and the
// figures per bank; the text section's facts and its absence without
// failures; a refused declaration on its device's line; the JSON's fields;
// the map's characters, legend and CB line.
#include <gtest/gtest.h>

#include "../ledger/ledger_fixture.h"
#include "report/failure_groups.h"
#include "report/failure_json.h"
#include "report/failure_report.h"
#include "report/space_map.h"
#include "report/summary_json.h"
#include "report/text_report.h"
#include "symbolize/symbolizer.h"

namespace memledger::ledger_test {
namespace {

class FailureReportTest : public LedgerTest {
 protected:
  FailureReportTest() : stacks_(symbolizer_, StackOptions{}) {}
  // Device 0: L1 banked over 4 banks of 256 B (1 KiB hooked, 16-byte
  // granules), CBs within it; 4 buffers of 128 B (32 B a bank) every 256 B
  // from 128, by two sites; one tagged.
  ProcessIndex Books() {
    const auto p = Begin(77, "model");
    DeviceOpenWithSpaces(p, 0, "chip", {{MEMLEDGER_L1, 1024}, {MEMLEDGER_DRAM, 4096}},
                         {{MEMLEDGER_L1, MEMLEDGER_L1, 4, 16, 0, 1024}, {MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0}});
    Mark(p, 0, "step 1");
    Tag(p, 5, "activations");
    for (std::uint64_t i = 0; i < 4; ++i) {
      Alloc(p, {.type = MEMLEDGER_L1, .id = i + 1, .address = 128 + 256 * i, .size = 128, .tag = i == 0 ? 5u : 0u});
    }
    return p;
  }
  std::string Section() {
    std::string out;
    AppendAllocationFailures(out, ledger_, stacks_, ReportScope{});
    return out;
  }
  Symbolizer symbolizer_;
  SiteStacks stacks_;
};

TEST_F(FailureReportTest, BytesPerBankAndFigures) {
  EXPECT_EQ(BankedBytes(16384, 64), "16.0 KiB across 64 banks, 256 B per bank");
  EXPECT_EQ(BankedBytes(16384, 1), "16.0 KiB");
  EXPECT_EQ(FiguresText(SpaceFigures{512, 4, 128, 0}, 4),
            "512 B (128 B per bank) free in 4 holes, the largest block 128 B (32 B per bank)");
  EXPECT_EQ(FiguresText(SpaceFigures{100, 1, 100, 0}, 1), "100 B free in 1 hole, the largest block 100 B");
}

TEST_F(FailureReportTest, NoFailuresNoSection) {
  Books();
  EXPECT_EQ(Section(), "");
  EXPECT_EQ(TextReport(ledger_).find("allocation failures"), std::string::npos);
}

TEST_F(FailureReportTest, ARefusedDeclarationIsSaidOnItsDevicesLine) {
  const auto p = Begin();
  DeviceOpenWithSpaces(p, 0, "bad", {{MEMLEDGER_L1, 1024}}, {{MEMLEDGER_L1, MEMLEDGER_L1, 1, 16, 0, 0}});
  const std::string report = TextReport(ledger_);
  const std::string& problem = ledger_.devices()[0].space_problem;
  ASSERT_FALSE(problem.empty());
  EXPECT_NE(report.find("device 0 (bad)  (an address space refused: " + problem + ")\n"), std::string::npos) << report;
  EXPECT_EQ(Summary(ledger_)["devices"][0]["space_problem"], problem);
}

TEST_F(FailureReportTest, AStormIsOneGroupWithItsCount) {
  const auto p = Books();
  for (int i = 0; i < 1000; ++i) AllocFailed(p, 0, MEMLEDGER_L1, 256 + (i % 2) * 128);
  AllocFailed(p, 0, MEMLEDGER_CB, 256);  // the CBs would reach the buffer at 128
  const auto groups = GroupFailures(ledger_);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].count, 1000u);
  EXPECT_EQ(groups[0].first->verdict, FailureVerdict::kFragmented);
  EXPECT_EQ(groups[0].smallest_size, 256u);
  EXPECT_EQ(groups[0].largest_size, 384u);
  EXPECT_EQ(groups[1].first->verdict, FailureVerdict::kCbClash);
  const auto counts = FailuresByVerdict(ledger_);
  EXPECT_EQ(counts[static_cast<int>(FailureVerdict::kFragmented)], 1000u);
  EXPECT_EQ(counts[static_cast<int>(FailureVerdict::kCbClash)], 1u);
  ReportScope dram_only;
  dram_only.type = "DRAM";
  EXPECT_TRUE(GroupFailures(ledger_, dram_only).empty());
  ReportScope l1_only;
  l1_only.type = "L1";
  EXPECT_EQ(GroupFailures(ledger_, l1_only).size(), 2u) << "the CB clash is judged in L1";
  EXPECT_EQ(FailuresByVerdict(ledger_, l1_only)[static_cast<int>(FailureVerdict::kCbClash)], 1u);
}

TEST_F(FailureReportTest, TheSectionSaysEveryFact) {
  const auto p = Books();
  Mark(p, 2'000'000'000, "the first stamped record");  // failures are timed from it
  AllocFailed(p, 0, MEMLEDGER_L1, 256, 0, 0, 2'250'000'000);
  AllocFailed(p, 0, MEMLEDGER_CB, 256);
  const std::string text = Section();
  EXPECT_TRUE(text.starts_with("allocation failures: 2 (fragmented 1, cb_clash 1)\n")) << text;
  EXPECT_NE(text.find("  fragmented: 256 B across 4 banks, 64 B per bank of L1 on device 0 (chip), pid 77, at 0.250 s (seq "),
            std::string::npos) << text;
  EXPECT_NE(text.find("    enough was free in all, but no free block was large enough\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    L1 then: 512 B (128 B per bank) free in 4 holes, the largest block 128 B (32 B per bank); "
                      "512 B live of 1.0 KiB\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("    requested without a stack (MEMLEDGER_STACKS=1 records where)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    split by 1 buffer inside the cheapest 256 B window"), std::string::npos) << text;
  EXPECT_NE(text.find("    the circular buffers would end at 0x100, over 1 live L1 buffer below it"), std::string::npos)
      << text;
  EXPECT_NE(text.find("      128 B in 1 buffer from 0x80, live "), std::string::npos) << text;
  EXPECT_NE(text.find(", since mark \"step 1\": (no stack: MEMLEDGER_STACKS=1 records them), tag activations, pid 77\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("    held by (the largest sites):\n      384 B in 3 buffers: device 0 L1, pid 77\n"),
            std::string::npos) << text;
  // Before the leaks in the whole report.
  const std::string report = TextReport(ledger_);
  EXPECT_LT(report.find("allocation failures:"), report.find("leaks:")) << report;
  EXPECT_NE(report.find("512 B (128 B per bank) free in 4 holes"), std::string::npos) << "on L1's row\n" << report;
}

TEST_F(FailureReportTest, TheJsonHasEveryFact) {
  const auto p = Books();
  Mark(p, 1'000'000'000, "the first stamped record");
  AllocFailed(p, 0, MEMLEDGER_CB, 256, 0, 0, 1'500'000'000);
  AllocFailed(p, 0, MEMLEDGER_DRAM, 8192);
  const nlohmann::json json = AllocationFailuresJson(ledger_, stacks_);
  EXPECT_EQ(json["total"], 2);
  EXPECT_EQ(json["by_verdict"]["cb_clash"], 1);
  EXPECT_EQ(json["by_verdict"]["exhausted"], 1);
  ASSERT_EQ(json["failures"].size(), 2u);
  const auto& clash = json["failures"][0];
  EXPECT_EQ(clash["pid"], 77);
  EXPECT_EQ(clash["type"], "CB");
  EXPECT_EQ(clash["space_type"], "L1");
  EXPECT_EQ(clash["region_end"], 256);
  EXPECT_EQ(clash["time_s"], 0.5) << "seconds since the books' first stamped record";
  EXPECT_EQ(clash["each"][0]["time_s"], 0.5);
  EXPECT_EQ(json["failures"][1]["time_s"], 0.0) << "unstamped: at the origin, never before it";
  EXPECT_EQ(clash["free_bytes"], 512);
  ASSERT_EQ(clash["blockers"].size(), 1u);
  EXPECT_EQ(clash["blockers"][0]["address"], 128);
  EXPECT_EQ(clash["blockers"][0]["mark"], "step 1");
  EXPECT_EQ(clash["blockers"][0]["tag"], "activations");
  EXPECT_EQ(json["failures"][1]["has_address_space"], false);
  EXPECT_FALSE(json["failures"][1].contains("free_bytes"));
  const nlohmann::json space = FreeSpaceJson(ledger_, 0, MEMLEDGER_L1);
  EXPECT_EQ(space, (nlohmann::json{{"free_bytes", 512}, {"largest_free_block_bytes", 128}, {"holes", 4}, {"banks", 4}}));
  EXPECT_TRUE(FreeSpaceJson(ledger_, 0, MEMLEDGER_DRAM).is_null());
}

TEST_F(FailureReportTest, TheMapDrawsSitesFreeSpaceAndCircularBuffers) {
  const auto p = Books();
  Hook(p, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 9, .address = 0, .size = 96});
  const std::string map = SpaceMapText(ledger_, stacks_, 0, MEMLEDGER_L1, "now", nullptr, 8);
  // 8 columns of 128 B: the untagged site (384 B) is A, the tagged one B.
  EXPECT_TRUE(map.starts_with("device 0 (chip) L1 now: [0x0, 0x400), 1.0 KiB across 4 banks, 256 B per bank; a column "
                              "is 128 B\n  |.B.A.A.A|\n  |-.......| CB 1 buffer live, their region ends at 0x60\n"))
      << map;
  EXPECT_NE(map.find("  A 384 B in 3 buffers: (no stack: MEMLEDGER_STACKS=1 records them)\n"), std::string::npos) << map;
  EXPECT_NE(map.find("  B 128 B in 1 buffer: (no stack: MEMLEDGER_STACKS=1 records them), tag activations\n"),
            std::string::npos) << map;
  EXPECT_NE(map.find("  the largest block: [0x0, 0x80)\n"), std::string::npos) << map;
  EXPECT_NE(map.find("  holes, lowest first: [0x0, 0x80) 128 B, [0x100, 0x180) 128 B,"), std::string::npos) << map;
  // A slice partly free: lower case.
  EXPECT_NE(SpaceMapText(ledger_, stacks_, 0, MEMLEDGER_L1, "now", nullptr, 4).find("  |baaa|"), std::string::npos);
  EXPECT_NE(SpaceMapText(ledger_, stacks_, 0, MEMLEDGER_DRAM, "now").find("no address space declared"),
            std::string::npos);
  // At a CB clash: the region the failing circular buffers would take.
  AllocFailed(p, 0, MEMLEDGER_CB, 320);
  const std::string at_clash = SpaceMapText(ledger_, stacks_, 0, MEMLEDGER_L1, "now", &ledger_.failures().back(), 8);
  EXPECT_NE(at_clash.find("  |==-.....| the failing CB region [0x0, 0x140)\n"), std::string::npos) << at_clash;
}

}  // namespace
}  // namespace memledger::ledger_test
