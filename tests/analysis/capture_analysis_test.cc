// capture_analysis_test.cc — memory over time from a replayed capture
// (src/analysis/capture_analysis.h): the peak per device × type and what was
// live at that instant, top allocation sites, growth across marks, and the
// --since/--until window. Streams are built record by record, written as real
// capture files and replayed, as `memledger report` does.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "../capture/capture_test_util.h"
#include "analysis/capture_analysis.h"
#include "analysis/replay.h"

namespace memledger {
namespace {

using capture_test::ScratchDir;
using capture_test::SlotStream;
using capture_test::WriteCapture;

constexpr std::uint64_t kOrigin = 5'000'000'000;  // the first record's time
constexpr std::uint64_t kMs = 1'000'000;

// Builds a process's stream with times in milliseconds since the first record.
class Stream {
 public:
  Stream() {
    Event process{};
    process.buffer_id = 7;
    Add(EventKind::kProcess, 0, process, "trainer");
    Add(EventKind::kDeviceOpen, 0, Event{}, EncodeDeviceDescription({"dev0", {{MEMLEDGER_DRAM, 1000}}}));
  }
  void Alloc(std::uint64_t ms, std::uint64_t id, std::uint64_t size, std::uint32_t stack, std::uint32_t tag = 0,
             std::uint8_t type = MEMLEDGER_DRAM) {
    Event e = Buffer(id, type);
    e.size = size;
    e.stack = stack;
    e.tag = tag;
    Add(EventKind::kAlloc, ms, e);
  }
  void Free(std::uint64_t ms, std::uint64_t id, std::uint8_t type = MEMLEDGER_DRAM) {
    Add(EventKind::kFree, ms, Buffer(id, type));
  }
  void Mark(std::uint64_t ms, std::string_view label) { Add(EventKind::kMark, ms, Event{}, label); }
  void Tag(std::uint32_t tag, std::string_view name) {
    Event e{};
    e.tag = tag;
    Add(EventKind::kTag, 0, e, name);
  }
  void End(std::uint64_t ms) { Add(EventKind::kProcessEnd, ms, Event{}); }

  struct Replayed {
    Ledger ledger;
    CaptureAnalysis analysis;
    ReplayResult result;
    explicit Replayed(AnalysisWindow window) : analysis(window) {}
  };
  // Writes the stream to a capture file and replays it with an analysis.
  std::unique_ptr<Replayed> Replay(AnalysisWindow window = {}) const {
    ScratchDir dir;
    const std::string path = dir.File("stream.mlcap");
    WriteCapture(path, slots_.slots());
    auto out = std::make_unique<Replayed>(window);
    out->result = ReplayAnalyzed(path, out->ledger, out->analysis);
    EXPECT_TRUE(out->result.opened) << out->result.error;
    return out;
  }

 private:
  static Event Buffer(std::uint64_t id, std::uint8_t type) {
    Event e{};
    e.buffer_id = id;
    e.address = id * 0x10000;
    e.type = type;
    return e;
  }
  void Add(EventKind kind, std::uint64_t ms, Event e, std::string_view payload = {}) {
    e.time_ns = kOrigin + ms * kMs;
    slots_.Add(kind, e, payload);
  }
  SlotStream slots_;
};

const SiteAmount* Find(const std::vector<SiteAmount>& amounts, std::uint32_t stack) {
  const auto it = std::find_if(amounts.begin(), amounts.end(), [&](const SiteAmount& a) { return a.site.stack == stack; });
  return it == amounts.end() ? nullptr : &*it;
}

TEST(CaptureAnalysis, PeakIsWhenLiveBytesFirstReachedTheirHighestAndWhatWasLiveThen) {
  Stream s;
  s.Alloc(10, 1, 100, /*stack=*/11);
  s.Alloc(20, 2, 300, 22);       // 400: the peak, at 20 ms
  s.Free(30, 1);                 // live at the peak, freed after it
  s.Alloc(40, 3, 50, 33);        // after the peak: not live then
  s.Free(50, 3);
  s.Alloc(60, 4, 350, 44);       // 650? no: 300 + 350 = 650 > 400: a new peak
  s.Free(70, 4);
  s.Alloc(80, 5, 100, 55);
  s.End(90);                     // 2 and 5 leak
  const auto r = s.Replay();
  const auto peaks = r->analysis.Peaks(r->ledger);
  ASSERT_EQ(peaks.size(), 1u);
  const SeriesPeak& peak = peaks[0];
  EXPECT_EQ(peak.series.device, 0);
  EXPECT_EQ(peak.bytes, 650u);
  EXPECT_EQ(peak.time_ns, 60 * kMs);
  ASSERT_EQ(peak.live.size(), 2u);
  EXPECT_EQ(peak.live[0].site.stack, 44u);  // largest first
  EXPECT_EQ(peak.live[0].bytes, 350u);
  EXPECT_EQ(peak.live[1].site.stack, 22u);
  EXPECT_EQ(peak.live[1].bytes, 300u);
  EXPECT_EQ(peak.live[1].buffers, 1u);
  std::uint64_t sum = 0;
  for (const SiteAmount& a : peak.live) sum += a.bytes;
  EXPECT_EQ(sum, peak.bytes) << "what was live at the peak adds up to the peak";
}

TEST(CaptureAnalysis, LiveAtThePeakCountsBuffersStillLiveAtTheEndAndFreedLater) {
  Stream s;
  s.Alloc(1, 1, 10, 1);
  s.Alloc(2, 2, 20, 2);
  s.Alloc(3, 3, 30, 3);   // peak 60 at 3 ms
  s.Free(4, 2);           // freed after the peak
  s.Free(5, 1);
  s.Alloc(6, 4, 5, 4);    // after: 35
  s.Free(7, 4);
  // no end record: the capture is cut; 3 is live at its end (the process running then)
  const auto r = s.Replay();
  const auto peaks = r->analysis.Peaks(r->ledger);
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].bytes, 60u);
  ASSERT_EQ(peaks[0].live.size(), 3u);
  for (std::uint32_t stack : {1u, 2u, 3u}) ASSERT_NE(Find(peaks[0].live, stack), nullptr) << stack;
  EXPECT_EQ(Find(peaks[0].live, 4), nullptr);
}

TEST(CaptureAnalysis, PeaksArePerDeviceAndTypeAndByTag) {
  Stream s;
  s.Tag(1, "weights");
  s.Tag(2, "kv_cache");
  s.Alloc(1, 1, 100, 1, 1);
  s.Alloc(2, 2, 40, 2, 2);
  s.Alloc(3, 3, 70, 3, 2);
  s.Alloc(4, 10, 7, 9, 0, MEMLEDGER_L1);
  s.Free(5, 10, MEMLEDGER_L1);
  s.End(6);
  const auto r = s.Replay();
  const auto peaks = r->analysis.Peaks(r->ledger);
  ASSERT_EQ(peaks.size(), 2u);
  EXPECT_EQ(r->ledger.type_name(peaks[0].series.type), "DRAM");
  EXPECT_EQ(peaks[0].bytes, 210u);
  EXPECT_EQ(r->ledger.type_name(peaks[1].series.type), "L1");
  EXPECT_EQ(peaks[1].bytes, 7u);
  const auto tags = LiveByTag(peaks[0]);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(r->ledger.tag_name(0, tags[0].tag), "kv_cache");  // 110 in 2 buffers, then weights 100 in 1
  EXPECT_EQ(tags[0].buffers, 2u);
  EXPECT_EQ(r->ledger.tag_name(0, tags[1].tag), "weights");
}

TEST(CaptureAnalysis, TopSitesByBytesAndByCount) {
  Stream s;
  for (std::uint64_t i = 0; i < 10; ++i) {
    s.Alloc(i, 100 + i, 8, /*stack=*/1);  // many small
    s.Free(i, 100 + i);
  }
  s.Alloc(20, 1, 1000, 2);  // one large
  s.Free(21, 1);
  s.End(30);
  const auto r = s.Replay();
  const auto by_bytes = r->analysis.TopByBytes(10);
  ASSERT_EQ(by_bytes.size(), 2u);
  EXPECT_EQ(by_bytes[0].site.stack, 2u);
  EXPECT_EQ(by_bytes[0].bytes, 1000u);
  const auto by_count = r->analysis.TopByCount(1);
  ASSERT_EQ(by_count.size(), 1u);
  EXPECT_EQ(by_count[0].site.stack, 1u);
  EXPECT_EQ(by_count[0].buffers, 10u);
  EXPECT_EQ(by_count[0].bytes, 80u);
}

TEST(CaptureAnalysis, GrowthFindsTheSiteThatLeaksEveryStepAndNotTheTransientOnes) {
  Stream s;
  std::uint64_t id = 1;
  for (std::uint64_t step = 0; step < 6; ++step) {
    const std::uint64_t t = step * 10;
    s.Mark(t, "step");
    s.Alloc(t + 1, id++, 64, /*stack=*/7);   // leaks every step
    const std::uint64_t transient = id++;
    s.Alloc(t + 2, transient, 4096, 8);       // freed within the step
    s.Free(t + 3, transient);
    if (step == 2) s.Alloc(t + 4, id++, 512, 9);  // one leak only: rises once
  }
  s.Mark(60, "step");
  s.End(70);
  const auto r = s.Replay();
  EXPECT_EQ(r->analysis.marks_in_window(), 7u);
  const auto growth = r->analysis.Growth();
  ASSERT_EQ(growth.size(), 1u);
  EXPECT_EQ(growth[0].site.stack, 7u);
  EXPECT_EQ(growth[0].last_bytes, 6u * 64);
  EXPECT_EQ(growth[0].rises, 6u);
}

TEST(CaptureAnalysis, SinceLeavesEarlierAllocationsOutOfTopSitesAndStartsThePeakFromWhatWasLive) {
  Stream s;
  s.Alloc(10, 1, 500, 1);  // before the window: live into it
  s.Free(20, 1);
  s.Alloc(30, 2, 100, 2);  // the window: 25 ms on
  s.Alloc(40, 3, 50, 3);
  s.End(50);
  const auto r = s.Replay(AnalysisWindow{.since_ns = 25 * kMs, .until_ns = std::nullopt});
  const auto top = r->analysis.TopByBytes(10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(Find(top, 1), nullptr) << "allocated before the window";
  const auto peaks = r->analysis.Peaks(r->ledger);
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].bytes, 150u) << "the 500 before the window is not its peak";
  EXPECT_EQ(peaks[0].time_ns, 40 * kMs);

  // A window that opens while a buffer is live: that buffer is the peak so far.
  const auto held = s.Replay(AnalysisWindow{.since_ns = 15 * kMs, .until_ns = std::nullopt});
  const auto held_peaks = held->analysis.Peaks(held->ledger);
  ASSERT_EQ(held_peaks.size(), 1u);
  EXPECT_EQ(held_peaks[0].bytes, 500u);
  EXPECT_EQ(held_peaks[0].time_ns, 15 * kMs);
  ASSERT_EQ(held_peaks[0].live.size(), 1u);
  EXPECT_EQ(held_peaks[0].live[0].site.stack, 1u);
}

TEST(CaptureAnalysis, UntilEndsTheBooksThereWithTheProcessStillRunning) {
  Stream s;
  s.Alloc(10, 1, 100, 1);
  s.Alloc(20, 2, 200, 2);
  s.Free(30, 1);
  s.Alloc(40, 3, 400, 3);
  s.End(50);
  const auto r = s.Replay(AnalysisWindow{.since_ns = std::nullopt, .until_ns = 35 * kMs});
  EXPECT_TRUE(r->result.stopped);
  EXPECT_FALSE(r->result.clean_end);
  EXPECT_EQ(r->ledger.process(r->result.process).state, ProcessState::kRunning);
  EXPECT_EQ(r->ledger.live_buffer_count(), 1u);
  EXPECT_EQ(r->ledger.process(r->result.process).leaked_buffers, 0u) << "live at --until is not a leak";
  const auto peaks = r->analysis.Peaks(r->ledger);
  ASSERT_EQ(peaks.size(), 1u);
  EXPECT_EQ(peaks[0].bytes, 300u);
  EXPECT_EQ(r->analysis.duration_ns(), 30 * kMs);
}

}  // namespace
}  // namespace memledger
