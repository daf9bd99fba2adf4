// export_test.cc — `memledger export`'s three formats (src/export/) on one
// small capture built record by record, written as a real capture file:
// CSV rows (one per buffer event, names quoted as RFC 4180 says), collapsed
// stacks at the end and at the peak (outermost frame first, ';' kept out of
// frames, "[no stack]"), and the Chrome trace (a counter sample per buffer
// event — an older capture's batch sharing one time gives its highest value,
// then its last —, marks and anomalies as instants, times in microseconds
// from the first record).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
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

TEST(ExportCsv, OneRowPerBufferEventWithNamesQuotedWhereTheyHoldACommaOrAQuote) {
  const Capture capture;
  std::ostringstream out;
  const ReplayResult result = ExportCsv(capture.path(), out);
  ASSERT_TRUE(result.opened) << result.error;
  auto row = [](std::uint64_t seq, std::uint64_t ms, const char* kind, const char* type, std::uint64_t id,
                std::uint64_t size, const char* tag, std::uint32_t stack) {
    return std::to_string(seq) + "," + std::to_string(kOrigin + ms * kMs) + "," + kind + ",0," + type + "," +
           std::to_string(id) + "," + std::to_string(id * 0x10000) + "," + std::to_string(size) + "," +
           std::to_string(kThread) + "," + tag + "," + std::to_string(stack) + "\n";
  };
  EXPECT_EQ(out.str(), "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack\n" +
                           row(capture.first_alloc_, 10, "ALLOC", "DRAM", 1, 100, "\"kv,\"\"cache\"\"\"", kStack) +
                           row(capture.second_alloc_, 20, "ALLOC", "DRAM", 2, 300, "", 0) +
                           row(capture.free_, 30, "FREE", "DRAM", 1, 0, "", 0) +
                           row(capture.double_free_, 40, "FREE", "DRAM", 1, 0, "", 0) +
                           row(capture.l1_alloc_, 50, "ALLOC", "L1", 3, 50, "", kStack));
}

constexpr const char* kStackLine = "train,step at train.py:9;Model.forward at model.py:3";

// The collapsed export of the test capture at `at` (empty if it did not open).
std::string CollapsedOf(CollapsedAt at) {
  const Capture capture;
  std::ostringstream out;
  const ReplayResult result = ExportCollapsed(capture.path(), at, StackOptions{}, out);
  EXPECT_TRUE(result.opened) << result.error;
  return out.str();
}

TEST(ExportCollapsed, AtTheEndTheLeaksByStackOutermostFrameFirstLargestFirst) {
  EXPECT_EQ(CollapsedOf(CollapsedAt::kEnd), std::string("[no stack] 300\n") + kStackLine + " 50\n");
}

TEST(ExportCollapsed, AtThePeakWhatWasLiveWhenTheDeviceTotalWasFirstHighest) {
  EXPECT_EQ(CollapsedOf(CollapsedAt::kPeak), std::string("[no stack] 300\n") + kStackLine + " 100\n");
}

TEST(ExportChromeTrace, CountersPerEventMarksAndAnomaliesAsInstantsTimesFromTheFirstRecord) {
  const Capture capture;
  std::ostringstream out;
  const ReplayResult result = ExportChromeTrace(capture.path(), out);
  ASSERT_TRUE(result.opened) << result.error;
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  EXPECT_EQ(trace["displayTimeUnit"], "ms");
  // (name, phase, ts in µs, bytes or count)
  std::vector<std::tuple<std::string, std::string, double, std::uint64_t>> events;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M") {
      EXPECT_EQ(e["name"], "process_name");
      EXPECT_EQ(e["args"]["name"], "trainer");
      EXPECT_EQ(e["pid"], capture_test::kTestPid);
      continue;
    }
    EXPECT_EQ(e["pid"], capture_test::kTestPid);
    const auto& args = e.value("args", nlohmann::json::object());
    events.emplace_back(e["name"], e["ph"], e["ts"], args.value("bytes", args.value("count", 0ULL)));
  }
  using Row = std::tuple<std::string, std::string, double, std::uint64_t>;
  EXPECT_EQ(events, (std::vector<Row>{
                        {"device 0 DRAM", "C", 10'000.0, 100},
                        {"step 1", "i", 25'000.0, 0},
                        {"device 0 DRAM", "C", 20'000.0, 400},
                        {"double_free", "i", 40'000.0, 1},
                        {"device 0 DRAM", "C", 30'000.0, 300},
                        {"device 0 DRAM", "C", 40'000.0, 300},
                        {"device 0 L1", "C", 50'000.0, 50},
                    }));
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
  ASSERT_TRUE(ExportChromeTrace(path, out).opened);
  const nlohmann::json trace = nlohmann::json::parse(out.str());
  std::vector<std::pair<double, std::uint64_t>> samples;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "C") samples.emplace_back(e["ts"], e["args"]["bytes"]);
  }
  EXPECT_EQ(samples, (std::vector<std::pair<double, std::uint64_t>>{{1'000.0, 400}, {1'000.0, 0}}));
}

TEST(Export, ACaptureThatIsNotThereIsAnErrorAndNoOutputRows) {
  ScratchDir dir;
  std::ostringstream csv, collapsed, chrome;
  EXPECT_FALSE(ExportCsv(dir.File("missing.mlcap"), csv).opened);
  EXPECT_FALSE(ExportCollapsed(dir.File("missing.mlcap"), CollapsedAt::kPeak, StackOptions{}, collapsed).opened);
  EXPECT_FALSE(ExportChromeTrace(dir.File("missing.mlcap"), chrome).opened);
  EXPECT_EQ(csv.str(), "seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack\n");
  EXPECT_EQ(collapsed.str(), "");
}

}  // namespace
}  // namespace memledger
