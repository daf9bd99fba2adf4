// top_view_test.cc — what `memledger status` and `memledger top` draw from a
// summary, without a terminal or a server (tools/memledger: summary_view.h,
// process_table.h, top_view.h): memory types in the text report's order, not
// the JSON's alphabetical one; a row per process and device with its command
// line, made printable and cut to fit; columns dropped, never rows, at 80
// and 70 columns; each sort key its own order; the sparkline's scale; the
// keys whole on the last line; plurals.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>

#include "process_table.h"
#include "summary_view.h"
#include "text_columns.h"
#include "top_view.h"

namespace memledger {
namespace {

using nlohmann::json;

json Types(std::uint64_t dram, std::uint64_t l1, std::uint64_t cb) {
  json types = json::object();
  if (dram) types["DRAM"] = {{"live_bytes", dram}, {"live_buffers", 1}};
  if (l1) types["L1"] = {{"live_bytes", l1}, {"live_buffers", 1}};
  if (cb) types["CB"] = {{"live_bytes", cb}, {"live_buffers", 1}};
  return types;
}

json Process(std::uint64_t pid, const std::string& command, std::uint64_t leaked, json devices) {
  return {{"pid", pid},       {"uid", 1000},         {"comm", "memledger-sim"}, {"state", "running"},
          {"events", 1},      {"leaked_buffers", 1}, {"leaked_bytes", leaked},  {"command", command},
          {"devices", devices}};
}

json Device(std::uint64_t id, std::uint64_t dram_peak, std::uint64_t l1_peak) {
  auto counters = [](std::uint64_t live, std::uint64_t peak) {
    return json{{"live_bytes", live}, {"live_buffers", 1}, {"peak_bytes", peak}, {"allocs", 1}, {"frees", 0},
                {"leaked_bytes", 0},  {"leaked_buffers", 0}};
  };
  return {{"device", id},
          {"name", "sim-wormhole_b0"},
          {"uid", nullptr},
          {"conflicts", 0},
          {"capacity", {{"DRAM", 1000 << 20}, {"L1", 100 << 20}}},
          {"types", {{"CB", counters(1 << 10, 4 << 10)}, {"DRAM", counters(dram_peak / 2, dram_peak)},
                     {"L1", counters(l1_peak / 2, l1_peak)}}}};
}

// Two devices; pid 300 on both, pid 200 on one, pid 100 on none (exited):
// each sort key puts the rows in an order of its own.
json Summary() {
  json summary = {{"schema", "memledger.summary/1"}, {"events", 1}, {"dropped_events", 0}};
  summary["devices"] = {Device(0, 500 << 20, 10 << 20), Device(1, 100 << 20, 90 << 20)};
  summary["processes"] = {
      Process(300, "/usr/bin/python3 train.py --model llama --batch 64 --steps 100000", 5 << 20,
              {{{"device", 0}, {"local", 0}, {"open", true}, {"types", Types(2 << 20, 0, 0)}},
               {{"device", 1}, {"local", 1}, {"open", true}, {"types", Types(30 << 20, 1 << 20, 0)}}}),
      Process(200, "memledger-sim llm --iterations 1000000", 1 << 20,
              {{{"device", 0}, {"local", 0}, {"open", true}, {"types", Types(40 << 20, 1 << 20, 1 << 10)}}}),
      Process(100, "", 9 << 20, json::array())};
  summary["anomalies"] = {{"unknown_free", 0}, {"double_free", 0}};
  summary["leaks"] = {{"buffers", 1}, {"bytes", 15 << 20}, {"sites", json::array()}};
  return summary;
}

// The pid and device of each row, in order: "300/1".
std::vector<std::string> RowKeys(const ProcessTable& table) {
  std::vector<std::string> keys;
  for (const std::string& row : table.rows) {
    std::istringstream in(row);
    std::string pid, uid, state, device;
    in >> pid >> uid >> state >> device;
    keys.push_back(pid + "/" + device);
  }
  return keys;
}

TEST(SummaryView, TypesInTheTextReportsOrderNotAlphabetical) {
  // Device 0: DRAM 50% at its peak, L1 10%, CB without a capacity; device 1: L1 90% first.
  EXPECT_EQ(TypesInReportOrder(Device(0, 500 << 20, 10 << 20)), (std::vector<std::string>{"DRAM", "L1", "CB"}));
  EXPECT_EQ(TypesInReportOrder(Device(1, 100 << 20, 90 << 20)), (std::vector<std::string>{"L1", "DRAM", "CB"}));
  // Equally full: the built-ins' order (DRAM first), then pools by name.
  json device = {{"capacity", {{"DRAM", 10}, {"L1", 10}, {"zpool", 10}, {"apool", 10}}},
                 {"types", {{"apool", {{"peak_bytes", 5}}}, {"zpool", {{"peak_bytes", 5}}},
                            {"L1", {{"peak_bytes", 5}}}, {"DRAM", {{"peak_bytes", 5}}}}}};
  EXPECT_EQ(TypesInReportOrder(device), (std::vector<std::string>{"DRAM", "L1", "apool", "zpool"}));
}

TEST(TextColumns, WideCharactersTakeTwoColumnsCombiningMarksNone) {
  EXPECT_EQ(Columns("abc"), 3);
  EXPECT_EQ(Columns("漢字"), 4);
  EXPECT_EQ(Columns("e\u0301"), 1);
  EXPECT_EQ(Columns("…"), 1);
  EXPECT_EQ(Fit("ab漢字", 3), "ab") << "never half a wide character";
  EXPECT_EQ(Fit("ab漢字", 4), "ab漢");
  EXPECT_EQ(FitMarked("漢字漢字", 5, true), "漢字…");
  EXPECT_EQ(WrapText("漢字", 1), (std::vector<std::string>{"漢字"})) << "no character fits: given whole, no loop";
}

TEST(SummaryView, Plurals) {
  EXPECT_EQ(CountProcesses(1), "1 process");
  EXPECT_EQ(CountProcesses(0), "0 processes");
  EXPECT_EQ(CountProcesses(3), "3 processes");
}

TEST(ProcessTable, ARowPerProcessAndDeviceWithItsCommandWhole) {
  const ProcessTable table = RenderProcessTable(Summary(), RowOrder::kPid, 0, true);
  EXPECT_EQ(table.header.rfind("     pid    uid state    device       DRAM         L1         CB      total     leaked     events command", 0), 0u)
      << table.header;
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(RowKeys(table), (std::vector<std::string>{"100/-", "200/0", "300/0", "300/1"}));
  EXPECT_NE(table.rows[1].find("40.0 MiB    1.0 MiB    1.0 KiB   41.0 MiB    1.0 MiB          1 memledger-sim llm --iterations 1000000"),
            std::string::npos) << table.rows[1];
  EXPECT_TRUE(table.rows[3].ends_with("/usr/bin/python3 train.py --model llama --batch 64 --steps 100000"));
  EXPECT_TRUE(table.rows[0].ends_with("[memledger-sim]")) << "no command line known: its comm, as ps shows it";
}

TEST(ProcessTable, AtMostEightTypeColumnsTheTotalCountsAll) {
  json summary = Summary();
  json& device = summary["devices"][0];
  json& held = summary["processes"][1]["devices"][0]["types"];
  for (int i = 0; i < 20; ++i) {
    const std::string pool = "pool" + std::to_string(i);
    device["types"][pool] = {{"live_bytes", 1 << 20}, {"peak_bytes", 1 << 20}};
    held[pool] = {{"live_bytes", 1 << 20}, {"live_buffers", 1}};
  }
  const ProcessTable table = RenderProcessTable(summary, RowOrder::kPid, 0, true);
  EXPECT_EQ(table.header.rfind("     pid    uid state    device       DRAM         L1         CB      pool0      pool1"
                               "     pool10     pool11     pool12      total ", 0), 0u) << table.header;
  EXPECT_NE(table.rows[1].find(" 61.0 MiB "), std::string::npos) << table.rows[1];
}

TEST(ProcessTable, NarrowTerminalsDropColumnsNotRows) {
  for (const int width : {80, 70, 40}) {
    const ProcessTable table = RenderProcessTable(Summary(), RowOrder::kPid, width, true);
    EXPECT_EQ(table.rows.size(), 4u) << width;
    EXPECT_LE(Columns(table.header), width) << table.header;
    for (const std::string& row : table.rows) EXPECT_LE(Columns(row), width) << row;
    EXPECT_NE(table.header.find("device"), std::string::npos) << table.header;
    EXPECT_NE(table.header.find("total"), std::string::npos) << table.header;
    EXPECT_EQ(table.header.find("uid"), std::string::npos) << "the first dropped: " << table.header;
    EXPECT_TRUE(table.header.ends_with("command")) << table.header;
    EXPECT_TRUE(table.rows[3].ends_with("…")) << "a cut command says so: " << table.rows[3];
  }
  const ProcessTable at80 = RenderProcessTable(Summary(), RowOrder::kPid, 80, false);
  EXPECT_EQ(at80.header, "     pid state    device      total     leaked command") << "80 columns: the types dropped";
  EXPECT_TRUE(at80.rows[1].ends_with(" memledger-sim llm --iterations...")) << at80.rows[1];
  EXPECT_TRUE(at80.rows[2].ends_with(" python3 train.py --model llama...")) << "cut, without its directory, "
                                                                                     "not UTF-8: " << at80.rows[2];
  const ProcessTable at110 = RenderProcessTable(Summary(), RowOrder::kPid, 110, true);
  EXPECT_EQ(at110.header, "     pid state    device       DRAM         L1         CB      total     leaked command")
      << "the types kept in report order as they fit";
}

TEST(ProcessTable, EachSortKeyItsOwnOrder) {
  const json summary = Summary();
  EXPECT_EQ(RowKeys(RenderProcessTable(summary, RowOrder::kMemory, 0, true)),
            (std::vector<std::string>{"200/0", "300/1", "300/0", "100/-"}));
  EXPECT_EQ(RowKeys(RenderProcessTable(summary, RowOrder::kDevice, 0, true)),
            (std::vector<std::string>{"200/0", "300/0", "300/1", "100/-"}));
  EXPECT_EQ(RowKeys(RenderProcessTable(summary, RowOrder::kLeaked, 0, true)),
            (std::vector<std::string>{"100/-", "300/1", "300/0", "200/0"}));
  EXPECT_EQ(RowKeys(RenderProcessTable(summary, RowOrder::kPid, 0, true)),
            (std::vector<std::string>{"100/-", "200/0", "300/0", "300/1"}));
  std::vector<std::string> names;
  for (const TopKey& key : kTopKeys) names.emplace_back(RowOrderName(key.order));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end()) << "every key sorts by something else";
}

TEST(ProcessTable, WideCommandsFitTheirColumns) {
  json summary = Summary();
  summary["processes"][1]["command"] = "训练 模型 --名称 大型语言模型 --步数 十万";
  for (const int width : {80, 70}) {
    const ProcessTable table = RenderProcessTable(summary, RowOrder::kPid, width, true);
    for (const std::string& row : table.rows) EXPECT_LE(Columns(row), width) << row;
    EXPECT_TRUE(table.rows[1].ends_with("…")) << table.rows[1];
    EXPECT_GE(Columns(table.rows[1]), width - 1) << "cut at the last whole character: " << table.rows[1];
  }
}

TEST(ProcessTable, HostileCommandLinesArePrintable) {
  json summary = Summary();
  summary["processes"][1]["command"] = "evil\x1b]0;owned\x07\nsecond line\t\u202e";
  const ProcessTable table = RenderProcessTable(summary, RowOrder::kPid, 0, true);
  EXPECT_TRUE(table.rows[1].ends_with("evil\\x1b]0;owned\\x07\\nsecond line\\t\\u202e")) << table.rows[1];
}

std::vector<std::string> Rendered(int width, int height, RowOrder order = RowOrder::kMemory) {
  TopView view(/*utf8=*/true);
  view.SetOrder(order);
  const auto start = TopView::Clock::time_point{};
  json summary = Summary();
  summary["devices"][0]["types"]["L1"]["live_bytes"] = 0;
  summary["devices"][0]["types"]["CB"]["live_bytes"] = 0;
  for (int i = 0; i <= 20; ++i) {  // device 0 from 0 to 40 MiB live over 2 s
    summary["devices"][0]["types"]["DRAM"]["live_bytes"] = static_cast<std::uint64_t>(i) << 21;
    view.Update(summary, start + std::chrono::milliseconds(100 * i));
  }
  return view.Render(width, height);
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

TEST(TopView, EveryRowAndTheKeysFitAt80x24And70x14) {
  for (const auto& [width, height] : {std::pair(80, 24), std::pair(70, 14), std::pair(200, 50)}) {
    const std::vector<std::string> lines = Rendered(width, height);
    const std::string screen = Joined(lines);
    ASSERT_EQ(static_cast<int>(lines.size()), height) << screen;
    for (const std::string& line : lines) EXPECT_LE(Columns(line), width) << screen;
    EXPECT_EQ(lines.back(), "keys: m memory  d device  l leaked  p pid  q quit") << screen;
    EXPECT_TRUE(lines[0].starts_with("memledger top — 3 processes, 1 event, 0 dropped   sort: memory")) << screen;
    for (const char* pid : {"100", "200", "300"}) {
      EXPECT_NE(screen.find(std::string(" ") + pid + " "), std::string::npos) << pid << "\n" << screen;
    }
    EXPECT_EQ(screen.find("more row"), std::string::npos) << screen;
    EXPECT_NE(screen.find("leaks: 1 buffer, 15.0 MiB"), std::string::npos) << screen;
  }
}

TEST(TopView, TypesInReportOrderAndTheSparklineScaled) {
  const std::string screen = Joined(Rendered(80, 24));
  EXPECT_LT(screen.find("  DRAM "), screen.find("  L1 ")) << screen;
  EXPECT_LT(screen.find("  L1 "), screen.find("  CB ")) << screen;
  // Device 0's history: rising from 0 to 40 MiB over 2 s, drawn to that scale.
  EXPECT_NE(screen.find("device 0 (sim-wormhole_b0)  live  ▁▁▁▂▂▂▃▃▄▄▄▅▅▆▆▆▇▇██ 0–40.0 MiB, last 2.0 s\n"),
            std::string::npos) << screen;
  // Too narrow for the history beside the heading: the heading alone.
  EXPECT_EQ(Rendered(50, 30)[1], "device 0 (sim-wormhole_b0)") << Joined(Rendered(50, 30));
}

TEST(TopView, TooFewRowsForBarsALinePerDevice) {
  const std::vector<std::string> lines = Rendered(70, 14);
  const std::string screen = Joined(lines);
  EXPECT_EQ(screen.find("  DRAM ["), std::string::npos) << screen;
  EXPECT_EQ(lines[1], "device 0 (sim-wormhole_b0)  DRAM 4.0% L1 0.0% CB 0 B") << screen;
}

TEST(TopView, RowsThatDoNotFitAreCounted) {
  const std::vector<std::string> lines = Rendered(80, 9);
  const std::string screen = Joined(lines);
  EXPECT_NE(screen.find("2 more rows   leaks:"), std::string::npos) << screen;
  EXPECT_EQ(lines.back(), "keys: m memory  d device  l leaked  p pid  q quit") << screen;
}

}  // namespace
}  // namespace memledger

namespace memledger {
namespace {

// Device 0's L1 declared an address space; failures were booked there.
json SummaryWithSpaces() {
  json summary = Summary();
  summary["devices"][0]["types"]["L1"].update(
      {{"free_bytes", 44 << 10}, {"largest_free_block_bytes", 6 << 10}, {"holes", 8}, {"banks", 4}});
  summary["allocation_failures"] = {
      {"total", 1001},
      {"by_verdict", {{"exhausted", 0}, {"fragmented", 1000}, {"cb_clash", 1}}},
      {"counts", {{{"device", 0}, {"type", "L1"}, {"verdict", "fragmented"}, {"count", 1000}},
                  {{"device", 0}, {"type", "CB"}, {"verdict", "cb_clash"}, {"count", 1}}}}};
  return summary;
}

TEST(SummaryView, LargestFreeAndFailuresPerType) {
  const json summary = SummaryWithSpaces();
  EXPECT_EQ(LargestFree(summary["devices"][0]["types"]["L1"], "-"), "6.0 KiB");
  EXPECT_EQ(LargestFree(summary["devices"][0]["types"]["DRAM"], "-"), "-") << "no address space";
  EXPECT_EQ(FailureCount(summary, 0, "L1"), 1000u);
  EXPECT_EQ(FailureCount(summary, 0, ""), 1001u);
  EXPECT_EQ(FailureCount(summary, 1, "L1"), 0u);
  EXPECT_EQ(FailureCount(Summary(), 0, "L1"), 0u) << "a server without failures in its answer";
}

TEST(TopView, LargestFreeBesideTheBarsAndFailuresInTheFooterAt80Columns) {
  TopView view(/*utf8=*/true);
  view.Update(SummaryWithSpaces(), TopView::Clock::time_point{});
  for (const auto& [width, height] : {std::pair(80, 24), std::pair(200, 50)}) {
    const std::vector<std::string> lines = view.Render(width, height);
    const std::string screen = Joined(lines);
    for (const std::string& line : lines) EXPECT_LE(Columns(line), width) << screen;
    const auto row = [&](std::size_t device, const std::string& type) {
      std::size_t seen = 0;
      for (const std::string& line : lines) {
        if (line.starts_with("device ")) ++seen;
        if (seen == device + 1 && line.starts_with("  " + type + " ")) return line;
      }
      return std::string();
    };
    EXPECT_TRUE(row(0, "L1").ends_with("  max free 6.0 KiB")) << screen;
    EXPECT_TRUE(row(0, "DRAM").ends_with("  max free \u2014")) << screen;
    EXPECT_NE(row(0, "DRAM").find("/ 1000.0 MiB"), std::string::npos) << "the capacity stays" << screen;
    EXPECT_NE(screen.find("failures: cb_clash 1 fragmented 1000   leaks:"), std::string::npos) << screen;
    EXPECT_EQ(lines.back(), "keys: m memory  d device  l leaked  p pid  q quit") << screen;
  }
}

}  // namespace
}  // namespace memledger
