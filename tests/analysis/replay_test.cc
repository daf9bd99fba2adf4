// replay_test.cc — ReplayCapture, the offline half of the one accounting
// path: a whole capture gives the books its records describe; a cut one gives
// the books of its whole chunks, the process running when the capture ends
// (what it holds is live, not leaked) unless the capture recorded its end;
// lost slots are counted (src/analysis/replay.h).
#include "analysis/replay.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../capture/capture_test_util.h"

namespace memledger {
namespace {

using capture_test::kTestPid;
using capture_test::ReadBytes;
using capture_test::ScratchDir;
using capture_test::SlotStream;
using capture_test::WriteBytes;
using capture_test::WriteCapture;

Event Buffer(std::uint64_t id, std::uint64_t address, std::uint64_t size, std::uint32_t tag = 0) {
  Event e{};
  e.type = MEMLEDGER_DRAM;
  e.buffer_id = id;
  e.address = address;
  e.size = size;
  e.tag = tag;
  return e;
}

Event ProcessEnd(ProcessState state, std::int64_t exit_status, std::uint64_t dropped) {
  Event e{};
  e.type = static_cast<std::uint8_t>(state);
  e.buffer_id = static_cast<std::uint64_t>(exit_status);
  e.size = dropped;
  return e;
}

// What a tracked process writes first: its name and its device.
void AddPreamble(SlotStream& stream) {
  Event process{};
  process.buffer_id = 777;  // pid
  stream.Add(EventKind::kProcess, process, "trainer");
  const std::string device = EncodeDeviceDescription({"card0", {{MEMLEDGER_DRAM, 1 << 30}}});
  stream.Add(EventKind::kDeviceOpen, {}, device);
}

TEST(ReplayCapture, WholeCaptureGivesTheBooksItDescribes) {
  ScratchDir dir;
  const std::string path = dir.File("whole.mlcap");
  SlotStream stream;
  AddPreamble(stream);
  Event tag{};
  tag.tag = 1;
  stream.Add(EventKind::kTag, tag, "weights");
  Event pool{};
  pool.type = MEMLEDGER_FIRST_POOL;
  stream.Add(EventKind::kPool, pool, "kv_cache");
  stream.Add(EventKind::kAlloc, Buffer(1, 0x1000, 100, 1));
  stream.Add(EventKind::kAlloc, Buffer(2, 0x2000, 200));
  Event pooled = Buffer(3, 0x1000, 50);
  pooled.type = MEMLEDGER_FIRST_POOL;
  stream.Add(EventKind::kAlloc, pooled);
  stream.Add(EventKind::kFree, Buffer(2, 0x2000, 0));
  stream.Add(EventKind::kMark, {}, std::string(80, 'm'));
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 3, 5));
  WriteCapture(path, stream.slots());

  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_EQ(result.problem, "");
  EXPECT_TRUE(result.clean_end);
  EXPECT_EQ(result.records, 10u);
  EXPECT_EQ(result.stream_errors.total(), 0u);
  EXPECT_EQ(result.info.pid, kTestPid);
  ASSERT_EQ(ledger.processes().size(), 1u);

  const ProcessBooks& books = ledger.process(result.process);
  EXPECT_EQ(books.pid, 777u) << "the process record names the process";
  EXPECT_EQ(books.comm, "trainer");
  EXPECT_EQ(books.state, ProcessState::kExited);
  EXPECT_EQ(books.exit_status, 3);
  EXPECT_EQ(books.dropped_events, 5u);
  EXPECT_EQ(books.lost_slots, 0u);
  EXPECT_EQ(books.events, 10u);
  EXPECT_EQ(books.leaked_buffers, 2u);
  EXPECT_EQ(books.leaked_bytes, 150u);
  ASSERT_EQ(books.marks.size(), 1u);
  EXPECT_EQ(books.marks[0].second, std::string(80, 'm'));
  const DeviceBooks& device = ledger.devices().at(0);
  EXPECT_EQ(device.name, "card0");
  EXPECT_EQ(device.capacity[MEMLEDGER_DRAM], 1u << 30);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].allocs, 2u);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].frees, 1u);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].leaked_bytes, 100u);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].peak_bytes, 300u);
  ASSERT_EQ(ledger.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + 1));
  EXPECT_EQ(ledger.type_name(kBuiltinTypeCount), "kv_cache");
  EXPECT_EQ(device.types[kBuiltinTypeCount].leaked_bytes, 50u);
  const LeakSiteKey weights{0, MEMLEDGER_DRAM, 1, 0, static_cast<std::uint32_t>(result.process)};
  ASSERT_TRUE(ledger.leak_sites().contains(weights));
  EXPECT_EQ(ledger.leak_sites().at(weights).bytes, 100u);
  EXPECT_EQ(ledger.tag_name(static_cast<std::uint32_t>(result.process), 1), "weights");
  EXPECT_EQ(ledger.Validate(), std::nullopt);
}

TEST(ReplayCapture, RecordsAfterTheEndRecordAreIgnored) {
  ScratchDir dir;
  const std::string path = dir.File("after-end.mlcap");
  SlotStream stream;
  stream.Add(EventKind::kAlloc, Buffer(1, 0x1000, 100));
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 0, 0));
  stream.Add(EventKind::kAlloc, Buffer(2, 0x2000, 100));  // a hook racing with shutdown
  WriteCapture(path, stream.slots());
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_TRUE(result.clean_end);
  EXPECT_EQ(result.records, 2u);
  EXPECT_EQ(ledger.process(result.process).leaked_bytes, 100u);
  EXPECT_EQ(ledger.events(), 2u);
}

// Three chunks of 100 allocations each, every chunk freeing the previous
// chunk's buffers; the end record is in the last chunk. Cut inside the last
// chunk, the process is running when the capture ends, holding what the
// first two chunks leave live: live, not leaked.
TEST(ReplayCapture, CutCaptureKeepsWhatIsWholeAndLeavesTheProcessRunning) {
  ScratchDir dir;
  const std::string whole_path = dir.File("whole.mlcap");
  const std::string cut_path = dir.File("cut.mlcap");
  SlotStream stream;
  for (std::uint64_t chunk = 0; chunk < 3; ++chunk) {
    for (std::uint64_t i = 0; i < 100; ++i) {
      const std::uint64_t id = chunk * 100 + i + 1;
      if (chunk > 0) stream.Add(EventKind::kFree, Buffer(id - 100, 0, 0));
      stream.Add(EventKind::kAlloc, Buffer(id, id << 12, 10));
    }
  }
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 0, 0));
  // Chunks: slots 1..100 (chunk 0's allocs), 101..300, 301..501.
  std::string error;
  {
    auto writer = CaptureWriter::Open(whole_path, CaptureStart{kTestPid, "trainer", 0, {}}, &error);
    ASSERT_NE(writer, nullptr) << error;
    const std::span<const Event> slots(stream.slots());
    writer->Append(slots.subspan(0, 100));
    writer->Flush();
    writer->Append(slots.subspan(100, 200));
    writer->Flush();
    writer->Append(slots.subspan(300));
    ASSERT_TRUE(writer->Close(&error)) << error;
  }
  const std::string bytes = ReadBytes(whole_path);
  WriteBytes(cut_path, std::string_view(bytes).substr(0, bytes.size() - 10));

  Ledger ledger;
  const ReplayResult result = ReplayCapture(cut_path, ledger);
  ASSERT_TRUE(result.opened) << result.error;
  EXPECT_NE(result.problem.find("cut or damaged"), std::string::npos) << result.problem;
  EXPECT_FALSE(result.clean_end);
  EXPECT_EQ(result.records, 300u);
  const ProcessBooks& books = ledger.process(result.process);
  EXPECT_EQ(books.state, ProcessState::kRunning);
  EXPECT_EQ(books.leaked_buffers, 0u) << "nothing leaks in a capture that ends before the process";
  EXPECT_EQ(books.leaked_bytes, 0u);
  EXPECT_TRUE(ledger.leak_sites().empty());
  EXPECT_EQ(ledger.devices().at(0).types[MEMLEDGER_DRAM].allocs, 200u);
  EXPECT_EQ(ledger.devices().at(0).types[MEMLEDGER_DRAM].frees, 100u);
  EXPECT_EQ(ledger.devices().at(0).types[MEMLEDGER_DRAM].live_bytes, 1000u) << "chunk 1's buffers, live at the cut";
  EXPECT_EQ(ledger.live_buffer_count(), 100u);
  EXPECT_EQ(ledger.Validate(), std::nullopt);

  Ledger whole_ledger;
  const ReplayResult whole = ReplayCapture(whole_path, whole_ledger);
  EXPECT_EQ(whole.problem, "");
  EXPECT_TRUE(whole.clean_end);
  EXPECT_EQ(whole.records, 501u);
  EXPECT_EQ(whole_ledger.process(whole.process).state, ProcessState::kExited);
}

// A capture without its end record is a file cut at a chunk boundary, one
// still being written, or a killed process's: nothing in it says which, so
// the process is running when the capture ends, and the problem says why.
TEST(ReplayCapture, CaptureWithoutAnEndRecordLeavesTheProcessRunning) {
  ScratchDir dir;
  const std::string path = dir.File("no-end.mlcap");
  SlotStream stream;
  stream.Add(EventKind::kAlloc, Buffer(1, 0x1000, 64));
  WriteCapture(path, stream.slots());
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_NE(result.problem.find("without the process's end record"), std::string::npos) << result.problem;
  EXPECT_FALSE(result.clean_end);
  EXPECT_FALSE(result.stopped);
  EXPECT_EQ(ledger.process(result.process).state, ProcessState::kRunning);
  EXPECT_EQ(ledger.process(result.process).leaked_bytes, 0u);
  EXPECT_EQ(ledger.devices().at(0).types[MEMLEDGER_DRAM].live_bytes, 64u);
}

// A capture that recorded the process's death (the end record a server
// writes for a client it saw killed) keeps the verdict: killed, what it held
// leaked.
TEST(ReplayCapture, ACapturedKilledEndStaysKilledWithItsLeaks) {
  ScratchDir dir;
  const std::string path = dir.File("killed.mlcap");
  SlotStream stream;
  stream.Add(EventKind::kAlloc, Buffer(1, 0x1000, 64));
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kKilled, -9, 0));
  WriteCapture(path, stream.slots());
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_EQ(result.problem, "");
  EXPECT_TRUE(result.clean_end);
  const ProcessBooks& books = ledger.process(result.process);
  EXPECT_EQ(books.state, ProcessState::kKilled);
  EXPECT_EQ(books.exit_status, -9);
  EXPECT_EQ(books.leaked_buffers, 1u);
  EXPECT_EQ(books.leaked_bytes, 64u);
  EXPECT_EQ(ledger.live_buffer_count(), 0u);
}

// What is live, per device and type, in `ledger`'s books: (buffers, bytes).
std::map<std::pair<std::size_t, std::uint16_t>, std::pair<std::uint64_t, std::uint64_t>> LiveByPlace(
    const Ledger& ledger) {
  std::map<std::pair<std::size_t, std::uint16_t>, std::pair<std::uint64_t, std::uint64_t>> live;
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    for (const auto& [type, c] : ledger.devices()[d].types) {
      if (c.live_buffers != 0 || c.live_bytes != 0) live[{d, type}] = {c.live_buffers, c.live_bytes};
    }
  }
  return live;
}

// A capture of many chunks (buffers of every size coming and going, a tag,
// a second memory type, an end record) cut at 8 offsets: each cut replays
// its whole chunks with the process running and nothing leaked, and what is
// live is exactly what the whole capture's replay holds when stopped after
// as many records.
TEST(ReplayCapture, ACutCaptureIsLiveAtItsEndAsTheWholeOneWasThere) {
  ScratchDir dir;
  const std::string whole_path = dir.File("whole.mlcap");
  const std::string cut_path = dir.File("cut.mlcap");
  SlotStream stream;
  AddPreamble(stream);
  Event tag{};
  tag.tag = 1;
  stream.Add(EventKind::kTag, tag, "kv_cache");
  std::uint64_t next_id = 1;
  std::vector<std::uint64_t> live;
  for (std::uint64_t step = 0; step < 4000; ++step) {
    Event alloc = Buffer(next_id, next_id << 12, 64 + (step * 37) % 4096, step % 3 == 0 ? 1 : 0);
    if (step % 5 == 0) alloc.type = MEMLEDGER_L1;
    stream.Add(EventKind::kAlloc, alloc);
    live.push_back(next_id++);
    if (step % 3 != 2 && live.size() > 1) {  // free two of every three: the books grow slowly
      const std::uint64_t id = live[(step * 7919) % live.size()];
      live.erase(std::find(live.begin(), live.end(), id));
      Event free = Buffer(id, 0, 0);
      free.type = ((id - 1) % 5 == 0) ? MEMLEDGER_L1 : MEMLEDGER_DRAM;
      stream.Add(EventKind::kFree, free);
    }
  }
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 0, 0));
  {
    std::string error;
    auto writer = CaptureWriter::Open(whole_path, CaptureStart{kTestPid, "trainer", 0, {}}, &error);
    ASSERT_NE(writer, nullptr) << error;
    const std::span<const Event> slots(stream.slots());
    for (std::size_t at = 0; at < slots.size(); at += 500) {  // a chunk per 500 slots: ~14 chunks
      writer->Append(slots.subspan(at, std::min<std::size_t>(500, slots.size() - at)));
      ASSERT_TRUE(writer->Flush());
    }
    ASSERT_TRUE(writer->Close(&error)) << error;
  }
  const std::string bytes = ReadBytes(whole_path);
  const std::size_t chunks_start = capture_test::HeaderOf(whole_path).header_bytes;
  std::set<std::uint64_t> records_seen;
  for (int i = 1; i <= 8; ++i) {
    // Spread over the chunks (about 1.7 KB each), inside one, not at its start.
    const std::size_t offset = chunks_start + (bytes.size() - chunks_start) * i / 9 + 7 * i;
    SCOPED_TRACE("cut at byte " + std::to_string(offset) + " of " + std::to_string(bytes.size()));
    WriteBytes(cut_path, std::string_view(bytes).substr(0, offset));
    Ledger cut;
    const ReplayResult result = ReplayCapture(cut_path, cut);
    ASSERT_TRUE(result.opened) << result.error;
    EXPECT_NE(result.problem.find("cut or damaged"), std::string::npos) << result.problem;
    EXPECT_FALSE(result.clean_end);
    EXPECT_FALSE(result.stopped);
    records_seen.insert(result.records);
    const ProcessBooks& books = cut.process(result.process);
    EXPECT_EQ(books.state, ProcessState::kRunning);
    EXPECT_EQ(books.leaked_buffers, 0u);
    EXPECT_EQ(books.leaked_bytes, 0u);
    EXPECT_TRUE(cut.leak_sites().empty());
    EXPECT_EQ(cut.Validate(), std::nullopt);

    // The truth there: the whole capture, stopped before its record number records + 1.
    Ledger whole;
    std::uint64_t applied = 0;
    const ReplayResult stopped = ReplayCapture(
        whole_path, whole, {.stop_before = [&](const Record&) { return applied++ == result.records; }});
    ASSERT_TRUE(stopped.stopped);
    ASSERT_EQ(stopped.records, result.records);
    EXPECT_GT(whole.live_buffer_count(), 0u);
    EXPECT_EQ(cut.live_buffer_count(), whole.live_buffer_count());
    EXPECT_EQ(LiveByPlace(cut), LiveByPlace(whole));
    EXPECT_EQ(cut.events(), whole.events());
  }
  EXPECT_GE(records_seen.size(), 6u) << "the cuts land in different chunks";
}

TEST(ReplayCapture, SlotsMissingFromTheStreamAreCountedLost) {
  ScratchDir dir;
  const std::string path = dir.File("gap.mlcap");
  SlotStream stream;
  stream.Add(EventKind::kAlloc, Buffer(1, 0x1000, 64));
  stream.Skip(4);  // abandoned in the ring: never written
  stream.Add(EventKind::kFree, Buffer(1, 0, 0));
  stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 0, 0));
  WriteCapture(path, stream.slots());
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_EQ(result.stream_errors.missing_slots, 4u);
  EXPECT_EQ(ledger.process(result.process).lost_slots, 4u);
  EXPECT_EQ(ledger.process(result.process).leaked_buffers, 0u);
  EXPECT_EQ(result.records, 3u);
}

// Chunks written in pieces (a chunk per `cut`), some left out or reordered:
// what a damaged or hand-edited capture looks like.
std::vector<std::vector<Event>> Chunks(const std::vector<Event>& slots, std::size_t chunk_slots) {
  std::vector<std::vector<Event>> chunks;
  for (std::size_t at = 0; at < slots.size(); at += chunk_slots) {
    chunks.emplace_back(slots.begin() + at, slots.begin() + std::min(slots.size(), at + chunk_slots));
  }
  return chunks;
}
void WriteChunks(const std::string& path, const std::vector<std::vector<Event>>& chunks) {
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{capture_test::kTestPid, "trainer", capture_test::kTestStartNs, {}}, &error);
  ASSERT_NE(writer, nullptr) << error;
  for (const auto& chunk : chunks) {
    writer->Append(chunk);
    ASSERT_TRUE(writer->Flush());
  }
  ASSERT_TRUE(writer->Close(&error)) << error;
}
// 100 buffers, each freed right after: no leaks, no anomalies, in 10 chunks of 20 records.
std::vector<std::vector<Event>> HundredBuffersInTenChunks() {
  SlotStream stream;
  for (std::uint64_t i = 1; i <= 100; ++i) {
    stream.Add(EventKind::kAlloc, Buffer(i, 0x1000, 64));  // one address, reused
    stream.Add(EventKind::kFree, Buffer(i, 0, 0));
  }
  return Chunks(stream.slots(), 20);
}

// A capture whose first chunks are gone does not read as clean: its books
// begin part-way (frees of what came before are missed, not anomalies) and
// the problem says how many records are missing.
TEST(ReplayCapture, MissingFirstChunksAreToldAndTheBooksBeginPartWay) {
  ScratchDir dir;
  const std::string path = dir.File("headless.mlcap");
  const auto chunks = HundredBuffersInTenChunks();
  std::vector<std::vector<Event>> tail(chunks.begin() + 3, chunks.end());
  tail.front().erase(tail.front().begin());  // starts with the free of a buffer allocated before
  WriteChunks(path, tail);
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_NE(result.problem.find("first 61 records are missing"), std::string::npos) << result.problem;
  const ProcessBooks& books = ledger.process(result.process);
  EXPECT_TRUE(books.handover.joined_late);
  EXPECT_EQ(books.handover.records_elsewhere, 61u);
  EXPECT_EQ(books.handover.missed_frees, 1u);
  EXPECT_EQ(books.leaked_buffers, 0u);
  std::uint64_t anomalies = 0;
  for (const std::uint64_t n : books.anomalies) anomalies += n;
  EXPECT_EQ(anomalies, 0u) << "nothing invented from the missing records";
}

// A missing middle chunk, or a chunk out of order, ends the replay there with
// the problem said: nothing is guessed past it (no invented overlaps).
TEST(ReplayCapture, MissingOrReorderedMiddleChunksStopTheReplayAndSaySo) {
  ScratchDir dir;
  for (const bool reorder : {false, true}) {
    const std::string path = dir.File(reorder ? "reordered.mlcap" : "holed.mlcap");
    auto chunks = HundredBuffersInTenChunks();
    if (reorder) {
      chunks.insert(chunks.begin() + 5, chunks[2]);  // an earlier chunk again
    } else {
      chunks.erase(chunks.begin() + 4);
    }
    WriteChunks(path, chunks);
    Ledger ledger;
    const ReplayResult result = ReplayCapture(path, ledger);
    EXPECT_NE(result.problem.find(reorder ? "out of order" : "records 81 to 100 are missing"), std::string::npos)
        << result.problem;
    EXPECT_EQ(result.records, reorder ? 100u : 80u);
    EXPECT_FALSE(result.clean_end);
    std::uint64_t anomalies = 0;
    for (const std::uint64_t n : ledger.process(result.process).anomalies) anomalies += n;
    EXPECT_EQ(anomalies, 0u);
  }
}

TEST(ReplayCapture, WhatIsNotACaptureIsNotReplayed) {
  ScratchDir dir;
  const std::string path = dir.File("garbage.mlcap");
  WriteBytes(path, std::string(1000, 'g'));
  Ledger ledger;
  const ReplayResult result = ReplayCapture(path, ledger);
  EXPECT_FALSE(result.opened);
  EXPECT_NE(result.error.find("not a memledger capture"), std::string::npos) << result.error;
  EXPECT_TRUE(ledger.processes().empty());
  EXPECT_EQ(ledger.events(), 0u);
}

// A FIFO (or a directory) given as a capture is refused at once, never waited on.
TEST(ReplayCapture, WhatIsNotARegularFileIsRefusedAtOnce) {
  ScratchDir dir;
  const std::string fifo = dir.File("fifo.mlcap");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  for (const std::string& path : {fifo, dir.File("")}) {
    Ledger ledger;
    const ReplayResult result = ReplayCapture(path, ledger);
    EXPECT_FALSE(result.opened) << path;
    EXPECT_NE(result.error.find("not a regular file"), std::string::npos) << result.error;
  }
}

TEST(ReplayCapture, TwoCapturesShareOneLedger) {
  ScratchDir dir;
  Ledger ledger;
  for (int i = 0; i < 2; ++i) {
    const std::string path = dir.File("p" + std::to_string(i) + ".mlcap");
    SlotStream stream;
    Event pool{};
    pool.type = static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + i);  // another local id each time
    stream.Add(EventKind::kPool, pool, "kv_cache");
    Event alloc = Buffer(1, 0x1000, 100);
    alloc.type = pool.type;
    stream.Add(EventKind::kAlloc, alloc);
    stream.Add(EventKind::kProcessEnd, ProcessEnd(ProcessState::kExited, 0, 0));
    WriteCapture(path, stream.slots());
    const ReplayResult result = ReplayCapture(path, ledger);
    EXPECT_EQ(static_cast<std::uint32_t>(result.process), static_cast<std::uint32_t>(i));
  }
  ASSERT_EQ(ledger.processes().size(), 2u);
  EXPECT_EQ(ledger.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + 1));
  EXPECT_EQ(ledger.devices().at(0).types[kBuiltinTypeCount].leaked_bytes, 200u);
  EXPECT_EQ(ledger.anomalies()[static_cast<int>(Anomaly::kDoubleAlloc)], 0u);
}

}  // namespace
}  // namespace memledger
