// export_test.cc — `memledger export`'s three formats (src/export/) on one
// small capture built record by record, written as a real capture file:
// CSV rows (one per buffer event, names quoted as RFC 4180 says, a free row
// with its buffer's size, each row's site by its headline), collapsed stacks
// at the end and at the peak (rooted at device and type, outermost frame
// first, ';' kept out of frames, "[no stack]"), --device/--type on each
// format, the note a capture without stacks gets, and the Chrome trace (a
// counter sample per buffer event — an older capture's batch sharing one
// time gives its highest value, then its last —, a b/e slice pair per
// buffer, the largest kept under --max-slices, anomaly sites with their
// facts and marks as instants, times in microseconds from the first record).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../capture/capture_test_util.h"
#include "export/chrome_trace_export.h"
#include "export/collapsed_export.h"
#include "export/csv_export.h"

namespace memledger {
namespace {

using capture_test::ScratchDir;
using capture_test::SlotStream;
using capture_test::WriteCapture;

constexpr std::uint64_t kOrigin = 5'000'000'000;  // the first record's time
constexpr std::uint64_t kMs = 1'000'000;
constexpr std::uint32_t kStack = 5;
constexpr std::uint32_t kTag = 1;
constexpr std::uint32_t kThread = 77;

// One process on one device: two DRAM buffers (one with a stack and a tag
// whose name holds a comma and quotes), a mark, a free, the same free again
// (a double free), an L1 buffer with the stack, and the end. Live at the end:
// 300 B without a stack, 50 B with it; the peak, 400 B, when the second
// buffer is allocated.
class Capture {
 public:
  Capture() {
    Event process{};
    process.buffer_id = capture_test::kTestPid;
    Add(EventKind::kProcess, 0, process, "trainer");
    Add(EventKind::kDeviceOpen, 0, Event{},
        EncodeDeviceDescription({"dev0", {{MEMLEDGER_DRAM, 1 << 20}, {MEMLEDGER_L1, 1 << 20}}}));
    Event tag{};
    tag.tag = kTag;
    Add(EventKind::kTag, 0, tag, "kv,\"cache\"");
    Frame(1, {"Model.forward", "model.py", 3});
    Frame(2, {"train;step", "train.py", 9});  // innermost first: step calls forward
    const std::uint64_t frames[] = {LanguageFrameValue(1), LanguageFrameValue(2)};
    Event stack{};
    stack.stack = kStack;
    Add(EventKind::kStack, 0, stack, EncodeStack(frames));
    first_alloc_ = Buffer(EventKind::kAlloc, 10, 1, MEMLEDGER_DRAM, 100, kStack, kTag);
    second_alloc_ = Buffer(EventKind::kAlloc, 20, 2, MEMLEDGER_DRAM, 300, 0, 0);
    Add(EventKind::kMark, 25, Event{}, "step 1");
    free_ = Buffer(EventKind::kFree, 30, 1, MEMLEDGER_DRAM, 0, 0, 0);
    double_free_ = Buffer(EventKind::kFree, 40, 1, MEMLEDGER_DRAM, 0, 0, 0);
    l1_alloc_ = Buffer(EventKind::kAlloc, 50, 3, MEMLEDGER_L1, 50, kStack, 0);
    Add(EventKind::kProcessEnd, 60, Event{});
    WriteCapture(path_, slots_.slots());
  }
  const std::string& path() const { return path_; }

  std::uint64_t first_alloc_ = 0, second_alloc_ = 0, free_ = 0, double_free_ = 0, l1_alloc_ = 0;

 private:
  void Add(EventKind kind, std::uint64_t ms, Event e, std::string_view payload = {}) {
    e.time_ns = kOrigin + ms * kMs;
    slots_.Add(kind, e, payload);
  }
  void Frame(std::uint32_t id, const LanguageFrame& frame) {
    Event e{};
    e.address = LanguageFrameValue(id);
    Add(EventKind::kLanguageFrame, 0, e, EncodeLanguageFrame(frame));
  }
  // Returns the record's seq.
  std::uint64_t Buffer(EventKind kind, std::uint64_t ms, std::uint64_t id, std::uint8_t type, std::uint64_t size,
                       std::uint32_t stack, std::uint32_t tag) {
    Event e{};
    e.time_ns = kOrigin + ms * kMs;
    e.buffer_id = id;
    e.address = id * 0x10000;
    e.size = size;
    e.type = type;
    e.stack = stack;
    e.tag = tag;
    e.thread = kThread;
    return slots_.Add(kind, e);
  }

  ScratchDir dir_;
  std::string path_ = dir_.File("export.mlcap");
  SlotStream slots_;
};

constexpr const char* kCsvHeader = "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack,site\n";
constexpr const char* kSite = "Model.forward at model.py:3";  // the headline of kStack, as the text report names it

ReportScope Only(std::optional<std::size_t> device, std::optional<std::string> type) {
  return ReportScope{.device = device, .type = std::move(type)};
}

std::string CsvOf(const Capture& capture, const ReportScope& scope = {}) {
  std::ostringstream out;
  const ExportResult result = ExportCsv({capture.path()}, scope, StackOptions{}, out);
  EXPECT_TRUE(result.replay.opened) << result.replay.error;
  return out.str();
}

// A CSV row of the test capture: its buffer `id` at id * 0x10000, on device 0.
std::string Row(std::uint64_t seq, std::uint64_t ms, const char* kind, const char* type, std::uint64_t id,
                std::uint64_t size, const char* tag, std::uint32_t stack, const char* site) {
  return std::to_string(seq) + "," + std::to_string(kOrigin + ms * kMs) + "," + kind + ",0," + type + "," +
         std::to_string(id) + "," + std::to_string(id * 0x10000) + "," + std::to_string(size) + "," +
         std::to_string(kThread) + "," + tag + "," + std::to_string(stack) + "," + site + "\n";
}

TEST(ExportCsv, OneRowPerBufferEventAFreeWithItsBuffersSizeAndEachSiteByItsHeadline) {
  const Capture capture;
  // The double free's buffer was freed already: the books know no size for it.
  EXPECT_EQ(CsvOf(capture), kCsvHeader +
                                Row(capture.first_alloc_, 10, "ALLOC", "DRAM", 1, 100, "\"kv,\"\"cache\"\"\"", kStack,
                                    kSite) +
                                Row(capture.second_alloc_, 20, "ALLOC", "DRAM", 2, 300, "", 0, "") +
                                Row(capture.free_, 30, "FREE", "DRAM", 1, 100, "", 0, "") +
                                Row(capture.double_free_, 40, "FREE", "DRAM", 1, 0, "", 0, "") +
                                Row(capture.l1_alloc_, 50, "ALLOC", "L1", 3, 50, "", kStack, kSite));
}

TEST(ExportCsv, OnlyTheRowsOfTheDeviceAndTypeAsked) {
  const Capture capture;
  EXPECT_EQ(CsvOf(capture, Only(std::nullopt, "L1")),
            kCsvHeader + Row(capture.l1_alloc_, 50, "ALLOC", "L1", 3, 50, "", kStack, kSite));
  EXPECT_EQ(CsvOf(capture, Only(1, std::nullopt)), kCsvHeader);
  const std::string dram = CsvOf(capture, Only(0, "DRAM"));
  EXPECT_EQ(std::count(dram.begin(), dram.end(), '\n'), 5);
  EXPECT_EQ(dram.find(",L1,"), std::string::npos);
}

constexpr const char* kStackLine = "train,step at train.py:9;Model.forward at model.py:3";

// The collapsed export of the test capture at `at` (empty if it did not open).
std::string CollapsedOf(CollapsedAt at, const ReportScope& scope = {}) {
  const Capture capture;
  std::ostringstream out;
  const ExportResult result = ExportCollapsed({capture.path()}, at, scope, StackOptions{}, out);
  EXPECT_TRUE(result.replay.opened) << result.replay.error;
  return out.str();
}

TEST(ExportCollapsed, AtTheEndTheLeaksByStackRootedAtDeviceAndTypeOutermostFrameFirst) {
  EXPECT_EQ(CollapsedOf(CollapsedAt::kEnd), std::string("device 0 (dev0);DRAM;[no stack] 300\n") +
                                                "device 0 (dev0);L1;" + kStackLine + " 50\n");
}

TEST(ExportCollapsed, AtThePeakWhatWasLiveWhenTheDeviceTotalWasFirstHighestLargestFirst) {
  EXPECT_EQ(CollapsedOf(CollapsedAt::kPeak), std::string("device 0 (dev0);DRAM;[no stack] 300\n") +
                                                 "device 0 (dev0);DRAM;" + kStackLine + " 100\n");
}

TEST(ExportCollapsed, OnlyTheDeviceAndTypeAskedAndThePeakIsTheirs) {
  EXPECT_EQ(CollapsedOf(CollapsedAt::kEnd, Only(std::nullopt, "DRAM")), "device 0 (dev0);DRAM;[no stack] 300\n");
  // L1's own peak is its one buffer, after the DRAM peak.
  EXPECT_EQ(CollapsedOf(CollapsedAt::kPeak, Only(0, "L1")), std::string("device 0 (dev0);L1;") + kStackLine + " 50\n");
  EXPECT_EQ(CollapsedOf(CollapsedAt::kPeak, Only(1, std::nullopt)), "");
}

// The notes of each format's export of the test capture in `scope`.
std::vector<std::vector<std::string>> NotesOf(const ReportScope& scope) {
  const Capture capture;
  std::ostringstream out;
  return {ExportCsv({capture.path()}, scope, StackOptions{}, out).notes,
          ExportCollapsed({capture.path()}, CollapsedAt::kPeak, scope, StackOptions{}, out).notes,
          ExportChromeTrace({capture.path()}, scope, StackOptions{}, kDefaultMaxSlices, out).notes};
}

TEST(Export, ADeviceOrTypeTheCaptureDoesNotHaveIsSaidWithWhatItHas) {
  using Notes = std::vector<std::vector<std::string>>;
  EXPECT_EQ(NotesOf({}), Notes(3));
  EXPECT_EQ(NotesOf(Only(0, "L1")), Notes(3));
  const std::vector<std::string> wrong = {"--device 1: the capture has devices 0 to 0"};
  EXPECT_EQ(NotesOf(Only(1, std::nullopt)), Notes(3, wrong));
  for (const std::vector<std::string>& notes : NotesOf(Only(std::nullopt, "dram"))) {
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_TRUE(notes[0].starts_with("--type dram: the capture has no memory type of that name (they are DRAM, L1"))
        << notes[0];
  }
}

// A capture recorded without MEMLEDGER_STACKS=1: one leaked buffer.
std::string CaptureWithoutStacks(const ScratchDir& dir) {
  SlotStream slots;
  Event process{};
  process.buffer_id = capture_test::kTestPid;
  process.time_ns = kOrigin;
  slots.Add(EventKind::kProcess, process, "nostacks");
  Event open{};
  open.time_ns = kOrigin;
  slots.Add(EventKind::kDeviceOpen, open, EncodeDeviceDescription({"dev0", {{MEMLEDGER_DRAM, 1 << 20}}}));
  Event alloc{};
  alloc.time_ns = kOrigin + kMs;
  alloc.buffer_id = 1;
  alloc.size = 4096;
  alloc.type = MEMLEDGER_DRAM;
  slots.Add(EventKind::kAlloc, alloc);
  const std::string path = dir.File("nostacks.mlcap");
  WriteCapture(path, slots.slots());
  return path;
}

TEST(Export, ACaptureWithoutStacksIsExportedWithANoteSayingHowToRecordThem) {
  ScratchDir dir;
  const std::string path = CaptureWithoutStacks(dir);
  std::ostringstream collapsed, csv, chrome;
  const ExportResult results[] = {
      ExportCollapsed({path}, CollapsedAt::kEnd, {}, StackOptions{}, collapsed),
      ExportCsv({path}, {}, StackOptions{}, csv),
      ExportChromeTrace({path}, {}, StackOptions{}, kDefaultMaxSlices, chrome),
  };
  for (const ExportResult& result : results) {
    ASSERT_TRUE(result.replay.opened);
    ASSERT_EQ(result.notes.size(), 1u);
    EXPECT_NE(result.notes[0].find("no stacks"), std::string::npos) << result.notes[0];
    EXPECT_NE(result.notes[0].find("MEMLEDGER_STACKS=1"), std::string::npos) << result.notes[0];
  }
  EXPECT_EQ(collapsed.str(), "device 0 (dev0);DRAM;[no stack] 4096\n");
  EXPECT_NO_THROW(std::ignore = nlohmann::json::parse(chrome.str()));
}

// The test capture's Chrome trace, parsed.
nlohmann::json ChromeTraceOf(const Capture& capture, std::size_t max_slices = kDefaultMaxSlices,
                             std::vector<std::string>* notes = nullptr, const ReportScope& scope = {}) {
  std::ostringstream out;
  const ExportResult result = ExportChromeTrace({capture.path()}, scope, StackOptions{}, max_slices, out);
  EXPECT_TRUE(result.replay.opened) << result.replay.error;
  if (notes != nullptr) *notes = result.notes;
  return nlohmann::json::parse(out.str());
}

TEST(ExportChromeTrace, CountersPerEventAndMarksTimesFromTheFirstRecord) {
  const Capture capture;
  const nlohmann::json trace = ChromeTraceOf(capture);
  EXPECT_EQ(trace["displayTimeUnit"], "ms");
  // (name, phase, ts in µs, bytes)
  std::vector<std::tuple<std::string, std::string, double, std::uint64_t>> events;
  for (const auto& e : trace["traceEvents"]) {
    EXPECT_EQ(e["pid"], capture_test::kTestPid);
    if (e["ph"] == "M") {
      EXPECT_EQ(e["name"], "process_name");
      EXPECT_EQ(e["args"]["name"], "trainer");
    } else if ((e["ph"] == "C" && e["name"] != "anomalies") || (e["ph"] == "i" && e.value("cat", "") != "anomaly")) {
      const auto& args = e.value("args", nlohmann::json::object());
      events.emplace_back(e["name"], e["ph"], e["ts"], args.value("bytes", 0ULL));
    }
  }
  using Row = std::tuple<std::string, std::string, double, std::uint64_t>;
  EXPECT_EQ(events, (std::vector<Row>{
                        {"device 0 DRAM", "C", 10'000.0, 100},
                        {"step 1", "i", 25'000.0, 0},
                        {"device 0 DRAM", "C", 20'000.0, 400},
                        {"device 0 DRAM", "C", 30'000.0, 300},
                        {"device 0 DRAM", "C", 40'000.0, 300},
                        {"device 0 L1", "C", 50'000.0, 50},
                    }));
}

// The buffer slices of `trace`: by id, its "b" and its "e" event.
std::map<std::string, std::pair<std::vector<nlohmann::json>, std::vector<nlohmann::json>>> Slices(
    const nlohmann::json& trace) {
  std::map<std::string, std::pair<std::vector<nlohmann::json>, std::vector<nlohmann::json>>> slices;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "b") slices[e["id"]].first.push_back(e);
    if (e["ph"] == "e") slices[e["id"]].second.push_back(e);
  }
  return slices;
}

TEST(ExportChromeTrace, ABeginAndAnEndPerBufferFromItsAllocToWhatEndedIt) {
  const Capture capture;
  const auto slices = Slices(ChromeTraceOf(capture));
  // (name, begin µs, end µs, how it ended, address, size, type, tag)
  using Slice = std::tuple<std::string, double, double, std::string, std::string, std::uint64_t, std::string,
                           std::string>;
  std::vector<Slice> got;
  for (const auto& [id, pair] : slices) {
    const auto& [begins, ends] = pair;
    ASSERT_EQ(begins.size(), 1u) << id;
    ASSERT_EQ(ends.size(), 1u) << id;
    const nlohmann::json& b = begins[0];
    const nlohmann::json& e = ends[0];
    EXPECT_EQ(b["cat"], "buffer");
    EXPECT_EQ(e["cat"], "buffer");
    EXPECT_EQ(b["name"], e["name"]);
    EXPECT_EQ(b["args"]["device"], "device 0 (dev0)");
    got.emplace_back(b["name"], b["ts"], e["ts"], e["args"]["end"], b["args"]["address"], b["args"]["size"],
                     b["args"]["type"], b["args"].value("tag", ""));
  }
  std::sort(got.begin(), got.end(), [](const auto& a, const auto& b) { return std::get<1>(a) < std::get<1>(b); });
  EXPECT_EQ(got, (std::vector<Slice>{
                     {kSite, 10'000.0, 30'000.0, "freed", "0x10000", 100, "DRAM", "kv,\"cache\""},
                     {"DRAM 300 B", 20'000.0, 60'000.0, "leaked", "0x20000", 300, "DRAM", ""},
                     {kSite, 50'000.0, 60'000.0, "leaked", "0x30000", 50, "L1", ""},
                 }));
}

TEST(ExportChromeTrace, MaxSlicesKeepsTheLargestBuffersAndSaysHowManyWereLeftOut) {
  const Capture capture;
  std::vector<std::string> notes;
  const nlohmann::json trace = ChromeTraceOf(capture, 1, &notes);
  const auto slices = Slices(trace);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices.begin()->second.first.at(0)["args"]["size"], 300);
  EXPECT_EQ(slices.begin()->second.second.size(), 1u);
  EXPECT_EQ(trace["metadata"]["memledger_buffer_slices"],
            (nlohmann::json{{"written", 1}, {"left_out", 2}, {"max_slices", 1}}));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("2 buffer lifetimes left out"), std::string::npos) << notes[0];
  EXPECT_EQ(Slices(ChromeTraceOf(capture, 0)).size(), 0u);
}

TEST(ExportChromeTrace, OnlyTheDeviceAndTypeAsked) {
  const Capture capture;
  const nlohmann::json trace = ChromeTraceOf(capture, kDefaultMaxSlices, nullptr, Only(0, "L1"));
  std::set<std::string> names;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "M" && e["ph"] != "i") names.insert(e["name"].get<std::string>() + " " + e["ph"].get<std::string>());
  }
  EXPECT_EQ(names, (std::set<std::string>{"device 0 L1 C", std::string(kSite) + " b", std::string(kSite) + " e"}));
}

TEST(ExportChromeTrace, AnAnomalySiteIsAnInstantAtItsFirstAnomalyWithItsFactsAndACounterCountsThem) {
  const Capture capture;
  const nlohmann::json trace = ChromeTraceOf(capture);
  std::vector<nlohmann::json> anomalies, counts;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") == "anomaly") anomalies.push_back(e);
    if (e["name"] == "anomalies") counts.push_back(e);
  }
  // When it came: the "anomalies" counter.
  ASSERT_EQ(counts.size(), 1u);
  EXPECT_EQ(counts[0]["ph"], "C");
  EXPECT_EQ(counts[0]["ts"], 40'000.0);
  EXPECT_EQ(counts[0]["args"], (nlohmann::json{{"double_free", 1}}));
  ASSERT_EQ(anomalies.size(), 1u);
  const nlohmann::json& a = anomalies[0];
  EXPECT_EQ(a["name"], "double_free");
  EXPECT_EQ(a["ph"], "i");
  EXPECT_EQ(a["ts"], 40'000.0);
  EXPECT_EQ(a["args"]["count"], 1);
  EXPECT_NE(a["args"]["what"].get<std::string>().find("freed twice"), std::string::npos) << a["args"]["what"];
  std::vector<std::string> roles;
  for (const auto& event : a["args"]["events"]) roles.push_back(event["event"]);
  EXPECT_EQ(roles, (std::vector<std::string>{"allocated", "first freed", "freed again"}));
  EXPECT_EQ(a["args"]["events"][0]["site"], kSite);
  EXPECT_EQ(a["args"]["events"][0]["seq"], capture.first_alloc_);
}

// A capture written before records had times of their own: a drained batch
// shares one. Its counter still reaches the peak inside the batch.
TEST(ExportChromeTrace, ABatchSharingOneTimeWritesItsHighestThenItsLastValue) {
  ScratchDir dir;
  SlotStream slots;
  Event process{};
  process.buffer_id = capture_test::kTestPid;
  process.time_ns = kOrigin;
  slots.Add(EventKind::kProcess, process, "old");
  Event open{};
  open.time_ns = kOrigin;
  slots.Add(EventKind::kDeviceOpen, open, EncodeDeviceDescription({"dev0", {{MEMLEDGER_DRAM, 1 << 20}}}));
  const std::tuple<EventKind, int, int> batch[] = {
      {EventKind::kAlloc, 1, 100}, {EventKind::kAlloc, 2, 300}, {EventKind::kFree, 1, 0}, {EventKind::kFree, 2, 0}};
  for (const auto& [kind, id, size] : batch) {
    Event e{};
    e.time_ns = kOrigin + kMs;  // one drain took all four
    e.buffer_id = static_cast<std::uint64_t>(id);
    e.address = e.buffer_id * 0x10000;
    e.size = static_cast<std::uint64_t>(size);
    e.type = MEMLEDGER_DRAM;
    slots.Add(kind, e);
  }
  const std::string path = dir.File("old.mlcap");
  WriteCapture(path, slots.slots());
  std::ostringstream out;
  ASSERT_TRUE(ExportChromeTrace({path}, {}, StackOptions{}, kDefaultMaxSlices, out).replay.opened);
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  std::vector<std::pair<double, std::uint64_t>> samples;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "C") samples.emplace_back(e["ts"], e["args"]["bytes"]);
  }
  EXPECT_EQ(samples, (std::vector<std::pair<double, std::uint64_t>>{{1'000.0, 400}, {1'000.0, 0}}));
}

TEST(Export, ACaptureThatIsNotThereIsAnErrorAndNoOutputAtAll) {
  ScratchDir dir;
  std::ostringstream csv, collapsed, chrome;
  const std::string missing = dir.File("missing.mlcap");
  EXPECT_FALSE(ExportCsv({missing}, {}, StackOptions{}, csv).replay.opened);
  EXPECT_FALSE(ExportCollapsed({missing}, CollapsedAt::kPeak, {}, StackOptions{}, collapsed).replay.opened);
  EXPECT_FALSE(ExportChromeTrace({missing}, {}, StackOptions{}, kDefaultMaxSlices, chrome).replay.opened);
  // Not even a header or a trace's frame: a script that reads the output gets nothing to mistake for data.
  EXPECT_EQ(csv.str(), "");
  EXPECT_EQ(collapsed.str(), "");
  EXPECT_EQ(chrome.str(), "");
}

}  // namespace
}  // namespace memledger
