// checkpoint_report_test.cc — a checkpoint's answer (report/checkpoint_report.h)
// from books built by hand (ledger_fixture.h) and frames from a table
// standing in for the symbolizer (table_symbols.h): the count line, the sites largest first
// with their headlines and places, the cap with how many more, nothing
// live; the JSON's sites, frames with roles, buffers pointing at their
// sites, and peaks by the process's own device numbers.
#include "report/checkpoint_report.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "../ledger/ledger_fixture.h"
#include "table_symbols.h"

namespace memledger::ledger_test {
namespace {

using nlohmann::json;

SymbolizedFrame Frame(std::uint64_t address, std::string function, std::string file, int line) {
  return SymbolizedFrame{.address = address, .function = std::move(function), .file = std::move(file),
                         .line = line, .module = "/opt/app/bin/model"};
}

class CheckpointReportTest : public LedgerTest {
 protected:
  CheckpointReportTest() : stacks_(symbols_, StackOptions{}) {
    symbols_.frames = {
        {1, Frame(1, "rt::Device::Allocate(int)", "/src/rt/device.cc", 40)},
        {2, Frame(2, "test_forgotten_free()", "/src/tests/test_ops.cc", 12)},
        {3, Frame(3, "test_cache()", "/src/tests/test_cache.cc", 30)},
        {4, Frame(4, "main", "/src/tests/main.cc", 5)},
    };
  }
  // Process 1: its allocator folded; stack 1 leaks in test_ops, 2 in
  // test_cache; device 3 of the process is the ledger's 3.
  ProcessIndex Books() {
    const auto p = Begin(42, "tests");
    Event skip{};
    skip.kind = static_cast<std::uint8_t>(EventKind::kSkipFrames);
    Apply(p, skip, "^rt::Device::");
    for (const auto& [id, frames] : std::map<std::uint32_t, std::vector<std::uint64_t>>{{1, {1, 2, 4}}, {2, {1, 3, 4}}}) {
      Event stack{};
      stack.kind = static_cast<std::uint8_t>(EventKind::kStack);
      stack.stack = id;
      Apply(p, stack, EncodeStack(frames));
    }
    Tag(p, 9, "kv_cache");
    return p;
  }
  CheckpointView View(ProcessIndex p, std::uint64_t checkpoint) {
    auto view = ledger_.Since(p, checkpoint);
    EXPECT_TRUE(view.has_value());
    return view.value_or(CheckpointView{});
  }
  TableSymbols symbols_;
  SiteStacks stacks_;
};

TEST_F(CheckpointReportTest, SitesLargestFirstCappedWithTheRestCounted) {
  const auto p = Books();
  Alloc(p, {.device = 3, .id = 1, .address = 0x100, .size = 4096});  // before: not the window's
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, {.device = 3, .id = 2, .address = 0x2000, .size = 100, .stack = 1});
  Alloc(p, {.device = 3, .type = MEMLEDGER_L1, .id = 3, .address = 0x40, .size = 200, .tag = 9, .stack = 2});
  Alloc(p, {.device = 3, .id = 4, .address = 0x3000, .size = 300, .stack = 2});
  Alloc(p, {.device = 3, .id = 5, .address = 0x4000, .size = 1000, .stack = 1});
  Free(p, {.device = 3, .id = 5, .address = 0x4000});
  const CheckpointAnswer answer = CheckpointReport(ledger_, p, View(p, c), stacks_, 1);

  EXPECT_EQ(answer.text.substr(0, answer.text.find('\n')),
            "3 buffers, 600 B, allocated since the checkpoint and still live, from 2 sites:");
  EXPECT_NE(answer.text.find("  500 B in 2 buffers: test_cache at test_cache.cc:30\n"), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("device 3 DRAM: 300 B in 1 buffer"), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("device 3 L1, tag kv_cache: 200 B in 1 buffer"), std::string::npos) << answer.text;
  EXPECT_EQ(answer.text.find("test_forgotten_free at"), std::string::npos) << "capped at one site: " << answer.text;
  EXPECT_NE(answer.text.find("\u2026 1 more site (the JSON lists every one)"), std::string::npos) << answer.text;

  const json d = json::parse(answer.json);
  EXPECT_EQ(d.at("schema"), "memledger.checkpoint/1");
  EXPECT_EQ(d.at("checkpoint"), c);
  EXPECT_EQ(d.at("pid"), 42);
  EXPECT_EQ(d.at("buffers"), 3);
  EXPECT_EQ(d.at("bytes"), 600);
  ASSERT_EQ(d.at("sites").size(), 2u);
  const json& cache = d.at("sites")[0];
  EXPECT_EQ(cache.at("headline"), "test_cache at test_cache.cc:30");
  EXPECT_EQ(cache.at("site"), "/src/tests/test_cache.cc:30");
  EXPECT_EQ(cache.at("bytes"), 500);
  ASSERT_EQ(cache.at("frames").size(), 3u);
  EXPECT_EQ(cache.at("frames")[0].at("role"), "allocator");
  EXPECT_EQ(cache.at("frames")[1].at("role"), "user");
  EXPECT_EQ(cache.at("places").size(), 2u);
  EXPECT_EQ(d.at("sites")[1].at("headline"), "test_forgotten_free at test_ops.cc:12");
  // The buffers, oldest first, each pointing at its site.
  ASSERT_EQ(d.at("buffer_list").size(), 3u);
  EXPECT_EQ(d.at("listed_buffers"), 3);
  EXPECT_EQ(d.at("buffer_list")[0].at("address"), 0x2000);
  EXPECT_EQ(d.at("buffer_list")[0].at("site"), 1);
  EXPECT_EQ(d.at("buffer_list")[1].at("site"), 0);
  EXPECT_EQ(d.at("buffer_list")[1].at("tag"), "kv_cache");
  EXPECT_EQ(d.at("buffer_list")[1].at("device"), 3);
  // Peaks: DRAM had 4096 at the begin and went to 4096 + 100 + 300 + 1000.
  bool dram = false;
  for (const json& peak : d.at("peaks")) {
    if (peak.at("type") != "DRAM") continue;
    dram = true;
    EXPECT_EQ(peak.at("device"), 3);
    EXPECT_EQ(peak.at("at_begin"), 4096);
    EXPECT_EQ(peak.at("peak"), 4096 + 1400);
    EXPECT_EQ(peak.at("now"), 4096 + 400);
    EXPECT_EQ(peak.at("peak_above_begin"), 1400);
  }
  EXPECT_TRUE(dram) << d.at("peaks").dump();
}

TEST_F(CheckpointReportTest, NothingLiveSaysSo) {
  const auto p = Books();
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, {.id = 7, .address = 0x10, .size = 8, .stack = 1});
  Free(p, {.id = 7, .address = 0x10});
  const CheckpointAnswer answer = CheckpointReport(ledger_, p, View(p, c), stacks_, 10);
  EXPECT_EQ(answer.text, "nothing allocated since the checkpoint is still live\n");
  const json d = json::parse(answer.json);
  EXPECT_EQ(d.at("buffers"), 0);
  EXPECT_TRUE(d.at("sites").empty());
  EXPECT_TRUE(d.at("buffer_list").empty());
}

TEST_F(CheckpointReportTest, WithoutStacksEachPlaceIsASiteAndTheHintIsGiven) {
  const auto p = Books();
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, {.id = 8, .address = 0x10, .size = 64});
  const CheckpointAnswer answer = CheckpointReport(ledger_, p, View(p, c), stacks_, 10);
  EXPECT_NE(answer.text.find("64 B in 1 buffer: device 0 DRAM"), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("MEMLEDGER_STACKS=1"), std::string::npos) << answer.text;
  const json d = json::parse(answer.json);
  EXPECT_TRUE(d.at("sites")[0].at("headline").is_null());
  EXPECT_TRUE(d.at("sites")[0].at("site").is_null());
}

}  // namespace
}  // namespace memledger::ledger_test
