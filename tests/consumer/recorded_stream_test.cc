// recorded_stream_test.cc — a capture cut into segments as RecordedStream
// cuts it (src/consumer/recorded_stream.h): one stream recorded once whole
// and once rotated gives the same books replayed, whatever the seams; each
// segment alone gives what was live where it ends (and the leaks, for the
// last); segments past the kept count are removed; a run given with a
// segment missing, a segment of another run, or a file of its own among
// segments is refused.
#include "consumer/recorded_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "../capture/capture_test_util.h"
#include "analysis/replay.h"

namespace memledger {
namespace {

using capture_test::kTestPid;
using capture_test::kTestStartNs;
using capture_test::ScratchDir;
using capture_test::SlotStream;

// A tracked process's stream as a runtime writes it: names first and as it
// goes (devices, a pool, tags, stacks with a language frame, a module, a
// frame pattern), buffers of every class allocated and freed at random over
// two devices, a device closed (leaking what it held) and opened again,
// marks, and an end with buffers still held. The same for the same seed.
std::vector<Event> ProcessStreamSlots(std::uint32_t seed, std::size_t operations) {
  std::mt19937_64 random(seed);
  SlotStream stream;
  Event process{};
  process.buffer_id = kTestPid;
  process.size = 1000 + 1;
  stream.Add(EventKind::kProcess, process, "trainer");
  ModuleDescription module{.base = 0x400000, .start = 0x400000, .end = 0x500000, .build_id = "\x01\x02",
                           .path = "/opt/model/bin/trainer"};
  stream.Add(EventKind::kModule, {}, EncodeModule(module));
  stream.Add(EventKind::kSkipFrames, {}, "^tt::alloc");
  const auto open = [&](std::uint16_t device) {
    Event e{};
    e.device = device;
    DeviceDescription description{"card" + std::to_string(device), {{MEMLEDGER_DRAM, 1ull << 32}, {MEMLEDGER_L1, 1 << 20}}};
    stream.Add(EventKind::kDeviceOpen, e, EncodeDeviceDescription(description));
  };
  open(0);
  open(1);
  Event pool{};
  pool.type = MEMLEDGER_FIRST_POOL;
  stream.Add(EventKind::kPool, pool, "kv-cache");
  Event frame{};
  frame.address = LanguageFrameValue(1);
  stream.Add(EventKind::kLanguageFrame, frame, EncodeLanguageFrame({"Model.forward", "model.py", 42}));

  std::uint32_t stacks = 0, tags = 0;
  const auto new_stack = [&] {
    Event e{};
    e.stack = ++stacks;
    const std::vector<std::uint64_t> frames = {0x401000 + stacks * 16, LanguageFrameValue(1), 0x402000};
    stream.Add(EventKind::kStack, e, EncodeStack(frames));
  };
  const auto new_tag = [&] {
    Event e{};
    e.tag = ++tags;
    stream.Add(EventKind::kTag, e, "layer." + std::to_string(tags));
  };
  new_stack();
  new_tag();
  struct Held {
    EventKind free_kind;
    Event alloc;
  };
  std::vector<Held> held;
  std::uint64_t next_id = 1;
  std::vector<bool> device_open = {true, true};
  for (std::size_t i = 0; i < operations; ++i) {
    const std::uint64_t roll = random() % 1000;
    if (roll < 8) {
      new_stack();
    } else if (roll < 11) {
      new_tag();
    } else if (roll < 13) {
      stream.Add(EventKind::kMark, {}, "step " + std::to_string(i));
    } else if (roll == 13) {
      // Device 1 closed (what it holds there leaks) and opened again.
      Event e{};
      e.device = 1;
      stream.Add(EventKind::kDeviceClose, e);
      std::erase_if(held, [](const Held& h) { return h.alloc.device == 1; });
      open(1);
    } else if (roll < 500 || held.empty()) {
      Event e{};
      e.device = static_cast<std::uint16_t>(random() % 2);
      e.buffer_id = next_id++;
      e.address = 0x10000 + e.buffer_id * 0x1000;
      e.size = 64 + random() % 4096;
      e.stack = stacks == 0 ? 0 : 1 + static_cast<std::uint32_t>(random() % stacks);
      e.tag = static_cast<std::uint32_t>(random() % (tags + 1));
      const std::uint64_t cls = random() % 10;
      EventKind kind = EventKind::kAlloc, free_kind = EventKind::kFree;
      if (cls == 0) {
        kind = EventKind::kCbAlloc, free_kind = EventKind::kCbFree;
      } else if (cls == 1) {
        kind = EventKind::kKernelLoad, free_kind = EventKind::kKernelUnload;
      } else {
        e.type = cls < 5 ? MEMLEDGER_DRAM : cls < 8 ? MEMLEDGER_L1 : MEMLEDGER_FIRST_POOL;
      }
      stream.Add(kind, e);
      held.push_back({free_kind, e});
    } else {
      const std::size_t at = random() % held.size();
      Event e = held[at].alloc;
      e.stack = 0;
      stream.Add(held[at].free_kind, e);
      held[at] = held.back();
      held.pop_back();
    }
  }
  Event end{};
  end.type = static_cast<std::uint8_t>(ProcessState::kExited);
  stream.Add(EventKind::kProcessEnd, end);
  return stream.slots();
}

// Records `slots` through a RecordedStream into `path` as a consumer takes
// them in: batches of 1..`max_batch` slots (records cut across batches
// included), each taken in 1 µs after the one before. Returns the ledger's
// books of it, live.
void RecordThrough(const std::vector<Event>& slots, const std::string& path, const SegmentBounds& bounds, Ledger& ledger,
            std::size_t max_batch = 300) {
  CaptureStart start{kTestPid, "trainer", kTestStartNs, {}};
  const std::string first = FirstSegment(start, path, bounds);
  std::string error;
  auto writer = CaptureWriter::Open(first, start, &error);
  ASSERT_NE(writer, nullptr) << error;
  RecordedStream recorded(ledger.BeginProcess(kTestPid, "trainer"), ProcessRecord::kApply, std::move(writer));
  std::mt19937_64 random(7);
  std::vector<Event> batch;
  std::uint64_t now_ns = 1'000'000;
  for (std::size_t at = 0; at < slots.size();) {
    const std::size_t n = std::min<std::size_t>(1 + random() % max_batch, slots.size() - at);
    batch.assign(slots.begin() + static_cast<std::ptrdiff_t>(at), slots.begin() + static_cast<std::ptrdiff_t>(at + n));
    now_ns += 1000;
    EXPECT_EQ(recorded.Apply(ledger, batch, now_ns), n);
    at += n;
  }
  EXPECT_EQ(recorded.TakeSegmentError(), "");
  EXPECT_TRUE(recorded.CloseCapture(&error)) << error;
}

// The segment files of `pattern` on disk, by index.
std::map<std::uint32_t, std::string> SegmentFiles(const std::string& pattern, std::uint32_t up_to) {
  std::map<std::uint32_t, std::string> files;
  for (std::uint32_t index = 1; index <= up_to; ++index) {
    const std::string path = SegmentPath(pattern, index);
    if (std::filesystem::exists(path)) files[index] = path;
  }
  return files;
}

// The paths of `segments`, by index.
std::vector<std::string> PathsOf(const std::map<std::uint32_t, std::string>& segments) {
  std::vector<std::string> paths;
  for (const auto& [index, path] : segments) paths.push_back(path);
  return paths;
}

// What was live in `ledger`'s first process: (device, class, type, identity,
// address, size, tag, stack), sorted.
using Holding = std::tuple<std::uint16_t, int, int, std::uint64_t, std::uint64_t, std::uint64_t, std::uint32_t,
                           std::uint32_t>;
std::vector<Holding> LiveOf(const Ledger& ledger) {
  std::vector<Holding> live;
  ledger.ForEachLiveOf(ProcessIndex{0}, [&](const LiveKey& key, const LiveBuffer& buffer) {
    live.emplace_back(key.device, static_cast<int>(key.cls), key.type, key.identity, buffer.address, buffer.size,
                      buffer.tag, buffer.stack);
  });
  std::sort(live.begin(), live.end());
  return live;
}

// The names the books of the first process hold, as text.
std::string NamesOf(const Ledger& ledger) {
  const ProcessBooks& books = ledger.process(ProcessIndex{0});
  std::string text = "modules " + std::to_string(books.modules.size()) + "; skip";
  for (const std::string& p : books.skip_frames) text += " " + p;
  std::map<std::uint32_t, std::string> tags(books.tag_names.begin(), books.tag_names.end());
  for (const auto& [id, name] : tags) text += "; tag " + std::to_string(id) + "=" + name;
  std::map<std::uint32_t, std::vector<std::uint64_t>> stacks(books.stacks.begin(), books.stacks.end());
  for (const auto& [id, frames] : stacks) text += "; stack " + std::to_string(id) + "/" + std::to_string(frames.size());
  for (const auto& [value, frame] : books.language_frames) text += "; frame " + frame.function;
  for (const auto& [device, description] : books.open_devices) text += "; open " + std::to_string(device);
  text += "; pool " + ledger.local_type_name(ProcessIndex{0}, MEMLEDGER_FIRST_POOL);
  return text;
}

// Everything a report reads of the first process's books, as text: counts,
// anomalies, leak sites, each device's counters (peaks included), names.
std::string BooksOf(const Ledger& ledger) {
  const ProcessBooks& p = ledger.process(ProcessIndex{0});
  std::string text = "events " + std::to_string(p.events) + " leaked " + std::to_string(p.leaked_buffers) + "/" +
                     std::to_string(p.leaked_bytes) + " lost " + std::to_string(p.lost_slots) + " state " +
                     std::to_string(static_cast<int>(p.state)) + " carried " +
                     std::to_string(p.handover.carried_buffers) + " anomalies";
  for (const std::uint64_t n : p.anomalies) text += " " + std::to_string(n);
  std::map<std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint32_t>, std::string> leaks;
  for (const auto& [key, totals] : ledger.leak_sites()) {
    leaks[{key.device, key.type, key.tag, key.stack}] =
        std::to_string(totals.buffers) + "/" + std::to_string(totals.bytes);
  }
  for (const auto& [key, totals] : leaks) {
    text += "\nleak " + std::to_string(std::get<0>(key)) + ":" + ledger.type_name(std::get<1>(key)) + " tag " +
            std::to_string(std::get<2>(key)) + " stack " + std::to_string(std::get<3>(key)) + " " + totals;
  }
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen) continue;
    text += "\ndevice " + std::to_string(d) + " " + device.name;
    for (const auto& [type, counters] : device.types) {
      text += " | " + ledger.type_name(type) + " live " + std::to_string(counters.live_bytes) + " peak " +
              std::to_string(counters.peak_bytes) + " allocs " + std::to_string(counters.allocs) + " frees " +
              std::to_string(counters.frees) + " leaked " + std::to_string(counters.leaked_bytes);
    }
  }
  return text + "\n" + NamesOf(ledger) + "\nlive " + std::to_string(LiveOf(ledger).size());
}

class RotatedCapture : public ::testing::Test {
 protected:
  // Records the stream whole and cut every `segment_ns`; returns the segments.
  std::map<std::uint32_t, std::string> RecordBoth(std::uint64_t segment_ns, std::uint32_t keep = 0) {
    slots_ = ProcessStreamSlots(11, 40'000);
    Ledger whole_books, rotated_books;
    RecordThrough(slots_, whole_, {}, whole_books);
    RecordThrough(slots_, dir_.File("run.mlcap"), {.max_bytes = 0, .max_ns = segment_ns, .keep = keep}, rotated_books);
    EXPECT_EQ(BooksOf(whole_books), BooksOf(rotated_books)) << "rotating changed the live books";
    return SegmentFiles(pattern_, 10'000);
  }

  ScratchDir dir_;
  std::string whole_ = dir_.File("whole.mlcap");
  std::string pattern_ = dir_.File("run.%n.mlcap");
  std::vector<Event> slots_;
};

TEST_F(RotatedCapture, SegmentsReadTogetherGiveTheBooksOfTheWholeCapture) {
  const auto segments = RecordBoth(20'000);  // about every 20 batches
  ASSERT_GE(segments.size(), 10u);
  std::vector<std::string> files = PathsOf(segments);
  std::reverse(files.begin(), files.end());  // any order: the indexes say which comes first

  Ledger whole, joined;
  const ReplayResult expected = ReplayCapture(whole_, whole);
  const ReplayResult result = ReplayCapture(files, joined);
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_EQ(result.problem, "");
  EXPECT_TRUE(result.clean_end);
  EXPECT_EQ(result.records, expected.records);
  EXPECT_EQ(result.files.front(), segments.begin()->second);
  ASSERT_TRUE(result.first_segment.has_value());
  EXPECT_EQ(result.first_segment->index, 1u);
  EXPECT_EQ(result.last_segment, segments.rbegin()->first);
  EXPECT_EQ(BooksOf(joined), BooksOf(whole));
  EXPECT_EQ(joined.process(ProcessIndex{0}).handover.carried_buffers, 0u) << "no later segment's carried books applied";
}

bool IsEnd(const Record& record) { return record.kind() == EventKind::kProcessEnd; }

TEST_F(RotatedCapture, EachSegmentAloneHoldsWhatWasLiveWhereItEnds) {
  const auto segments = RecordBoth(50'000);
  ASSERT_GE(segments.size(), 4u);
  for (const auto& [index, path] : segments) {
    SCOPED_TRACE(path);
    const bool last = index == segments.rbegin()->first;
    // Where the segment ends in the whole capture: at the next one's first record, or the process's end.
    std::uint64_t next_first_seq = ~std::uint64_t{0};
    if (!last) {
      std::string error;
      const auto next = CaptureReader::Open(segments.at(index + 1), &error);
      ASSERT_NE(next, nullptr) << error;
      next_first_seq = next->info().description.segment->first_seq;
      EXPECT_EQ(next->info().description.segment->previous, std::filesystem::path(path).filename());
    }
    Ledger alone, whole;
    const ReplayResult result = ReplayCapture(path, alone, {.stop_before = IsEnd});
    ReplayCapture(whole_, whole, {.stop_before = [&](const Record& r) { return r.event.seq >= next_first_seq || IsEnd(r); }});
    ASSERT_TRUE(result.opened) << result.error;
    ASSERT_TRUE(result.first_segment.has_value());
    EXPECT_EQ(result.first_segment->index, index);
    EXPECT_EQ(result.stopped, last) << "only the last segment holds the process's end";
    EXPECT_EQ(LiveOf(alone), LiveOf(whole));
    EXPECT_EQ(NamesOf(alone), NamesOf(whole));
    const ProcessBooks& books = alone.process(ProcessIndex{0});
    EXPECT_EQ(books.lost_slots, 0u);
    EXPECT_FALSE(books.handover.joined_late) << "a segment's first records are in the segments before, not lost";
    if (index == 1) {
      EXPECT_EQ(books.handover.carried_buffers, 0u);
    } else {
      EXPECT_GT(books.handover.carried_buffers, 0u);
      EXPECT_GT(result.first_segment->first_seq, 1u);
      EXPECT_EQ(result.problem.find("missing"), std::string::npos) << result.problem;
    }
    if (last) {
      Ledger ended;
      const ReplayResult whole_end = ReplayCapture(path, ended);
      EXPECT_TRUE(whole_end.clean_end);
      EXPECT_EQ(ended.process(ProcessIndex{0}).state, ProcessState::kExited);
      EXPECT_EQ(ended.live_buffer_count(), 0u);
    }
  }
}

TEST_F(RotatedCapture, OnlyTheLastKeptSegmentsStayAndTheyReadAsOneHistory) {
  const auto segments = RecordBoth(20'000, /*keep=*/3);
  ASSERT_EQ(segments.size(), 3u);
  const std::uint32_t last = segments.rbegin()->first;
  EXPECT_GT(last, 3u);
  EXPECT_EQ(segments.begin()->first, last - 2);
  std::vector<std::string> files = PathsOf(segments);
  Ledger kept, whole;
  const ReplayResult result = ReplayCapture(files, kept, {.stop_before = IsEnd});
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_EQ(result.first_segment->index, last - 2);
  EXPECT_TRUE(result.stopped) << "the last segment holds the process's end";
  ReplayCapture(whole_, whole, {.stop_before = IsEnd});
  EXPECT_EQ(LiveOf(kept), LiveOf(whole)) << "what the process held at its end: its leaks";
  EXPECT_EQ(NamesOf(kept), NamesOf(whole));
  EXPECT_GT(kept.process(ProcessIndex{0}).handover.carried_buffers, 0u) << "the first kept segment's books";
}

TEST_F(RotatedCapture, ARunWithAGapOrAStrangerIsRefusedAndSaysWhy) {
  const auto segments = RecordBoth(50'000);
  ASSERT_GE(segments.size(), 4u);
  Ledger ledger;
  const std::vector<std::string> gap = {segments.at(1), segments.at(3)};
  ReplayResult result = ReplayCapture(gap, ledger);
  EXPECT_FALSE(result.opened);
  EXPECT_NE(result.error.find("segment 2 of the run is missing"), std::string::npos) << result.error;

  const std::vector<std::string> twice = {segments.at(2), segments.at(2)};
  result = ReplayCapture(twice, ledger);
  EXPECT_NE(result.error.find("are both segment 2"), std::string::npos) << result.error;

  const std::vector<std::string> with_whole = {segments.at(1), whole_};
  result = ReplayCapture(with_whole, ledger);
  EXPECT_NE(result.error.find("is a capture of its own"), std::string::npos) << result.error;

  // Another run of the same process: its first segment began at another time.
  Ledger other_books;
  const std::string other = dir_.File("other.mlcap");
  CaptureStart start{kTestPid, "trainer", kTestStartNs + 1, {}};
  const std::string other_first = FirstSegment(start, other, {.max_bytes = 0, .max_ns = 1000, .keep = 0});
  std::string error;
  ASSERT_NE(CaptureWriter::Open(other_first, start, &error), nullptr) << error;
  const std::vector<std::string> strangers = {segments.at(1), other_first};
  result = ReplayCapture(strangers, ledger);
  EXPECT_NE(result.error.find("segments of different runs"), std::string::npos) << result.error;
  EXPECT_EQ(ledger.processes().size(), 0u) << "nothing booked from a refused set";
}

TEST_F(RotatedCapture, ACutSegmentEndsTheHistoryThereAndTheRestReadsApart) {
  const auto segments = RecordBoth(50'000);
  ASSERT_GE(segments.size(), 4u);
  // Segment 2 loses its last bytes (a copy cut short): its last chunk is not whole.
  const std::string bytes = capture_test::ReadBytes(segments.at(2));
  capture_test::WriteBytes(segments.at(2), std::string_view(bytes).substr(0, bytes.size() - 10));
  std::vector<std::string> files = PathsOf(segments);
  Ledger ledger;
  const ReplayResult result = ReplayCapture(files, ledger);
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_EQ(result.last_segment, 2u);
  EXPECT_NE(result.problem.find("run.2.mlcap: "), std::string::npos) << result.problem;
  EXPECT_NE(result.problem.find("the books stop there: read run.3.mlcap on apart"), std::string::npos)
      << result.problem;
  EXPECT_EQ(ledger.process(ProcessIndex{0}).state, ProcessState::kRunning) << "running when the capture ends";
  EXPECT_EQ(ledger.process(ProcessIndex{0}).lost_slots, 0u) << "no hole booked over";

  const std::vector<std::string> rest(files.begin() + 2, files.end());
  Ledger apart, whole;
  const ReplayResult rest_result = ReplayCapture(rest, apart, {.stop_before = IsEnd});
  ASSERT_TRUE(rest_result.opened) << rest_result.error;
  ReplayCapture(whole_, whole, {.stop_before = IsEnd});
  EXPECT_EQ(LiveOf(apart), LiveOf(whole)) << "the segments after the cut, whole on their own";
}

// `path` without its last chunk, cut where that chunk begins: a file whole
// in itself that ends early (a copy taken while it was written).
void DropLastChunk(const std::string& path) {
  const std::string bytes = capture_test::ReadBytes(path);
  std::size_t at = capture_test::HeaderOf(path).header_bytes, last = at;
  while (at + sizeof(ChunkHeader) <= bytes.size()) {
    ChunkHeader chunk{};
    std::memcpy(&chunk, bytes.data() + at, sizeof(chunk));
    last = at;
    at += sizeof(chunk) + chunk.compressed_bytes;
  }
  capture_test::WriteBytes(path, std::string_view(bytes).substr(0, last));
}

TEST_F(RotatedCapture, RecordsMissingBetweenSegmentsEndTheHistoryThere) {
  const auto segments = RecordBoth(50'000);
  ASSERT_GE(segments.size(), 4u);
  DropLastChunk(segments.at(2));
  Ledger alone;
  EXPECT_EQ(ReplayCapture(segments.at(2), alone).problem.find("cut"), std::string::npos)
      << "the file is whole in itself";
  std::vector<std::string> files = PathsOf(segments);
  Ledger ledger;
  const ReplayResult result = ReplayCapture(files, ledger);
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_EQ(result.last_segment, 2u);
  EXPECT_NE(result.problem.find("are missing between run.2.mlcap and run.3.mlcap: the books stop there: read "
                                "run.3.mlcap on apart"),
            std::string::npos)
      << result.problem;
  EXPECT_EQ(ledger.process(ProcessIndex{0}).lost_slots, 0u) << "no hole booked over";
  EXPECT_EQ(ledger.process(ProcessIndex{0}).state, ProcessState::kRunning);
}

TEST_F(RotatedCapture, ASegmentThatCannotBeCreatedLeavesTheRecordsInTheCurrentOneTillItCan) {
  slots_ = ProcessStreamSlots(3, 5'000);
  // The pattern's directory does not exist for a while.
  const std::string first = dir_.File("run.1.mlcap");
  const std::string later = dir_.File("later");
  CaptureStart start{kTestPid, "trainer", kTestStartNs, {}};
  start.segments = SegmentPlan{{.max_bytes = 0, .max_ns = 5'000, .keep = 0}, later + "/run.%n.mlcap"};
  start.description.segment = CaptureSegment{.index = 1, .run_start_unix_ns = kTestStartNs, .first_seq = 0, .previous = {}};
  std::string error;
  auto writer = CaptureWriter::Open(first, start, &error);
  ASSERT_NE(writer, nullptr) << error;
  Ledger live;
  RecordedStream recorded(live.BeginProcess(kTestPid, "trainer"), ProcessRecord::kApply, std::move(writer));
  std::vector<Event> slots = slots_;
  std::string said;
  std::size_t tries = 0;
  for (std::size_t at = 0; at < slots.size(); at += 100) {
    if (at >= slots.size() / 2) std::filesystem::create_directory(later);  // once: then it is there
    const std::size_t n = std::min<std::size_t>(100, slots.size() - at);
    recorded.Apply(live, std::span(slots).subspan(at, n), 1'000'000 + at * 100);
    const std::string error_now = recorded.TakeSegmentError();
    tries += !error_now.empty();
    said += error_now;
  }
  EXPECT_NE(said.find("cannot create capture file " + later + "/run.2.mlcap"), std::string::npos) << said;
  EXPECT_NE(said.find("the capture goes on in " + first + " past its bound"), std::string::npos) << said;
  EXPECT_GE(tries, 2u) << "tried again as the segment grew";
  ASSERT_TRUE(recorded.CloseCapture(&error)) << error;
  // Once the directory was there, the segments went on: the run reads whole.
  const auto segments = SegmentFiles(later + "/run.%n.mlcap", 10'000);
  ASSERT_GE(segments.size(), 2u);
  EXPECT_EQ(segments.begin()->first, 2u);
  std::vector<std::string> files = PathsOf(segments);
  files.insert(files.begin(), first);
  Ledger replayed;
  const ReplayResult result = ReplayCapture(files, replayed);
  EXPECT_TRUE(result.clean_end) << result.problem;
  EXPECT_EQ(BooksOf(replayed), BooksOf(live));
}

}  // namespace
}  // namespace memledger
