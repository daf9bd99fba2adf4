// embedded_consumer_test.cc — the in-process consumer thread: it drains the
// ring into a Ledger and the capture file, stamps times without touching
// payloads, marks progress for memledger_flush(), flushes the capture while it
// runs, and at Stop() drains everything, gives up on slots never published and
// counts each of them once (src/client/embedded_consumer.h). The test thread
// is the producer. Label: concurrency.
#include "client/embedded_consumer.h"
#include "ring/ring_ownership.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "analysis/replay.h"
#include "report/summary_json.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;
constexpr std::uint32_t kPid = 31337;

// The producer side of a tracked process, as client.cc writes records.
class Producer {
 public:
  explicit Producer(EventRing& ring) : ring_(ring) {}
  void Record(EventKind kind, Event e = {}, std::string_view payload = {}) {
    e.kind = static_cast<std::uint8_t>(kind);
    e.payload_bytes = static_cast<std::uint32_t>(payload.size());
    const std::uint32_t extra = ContinuationSlots(e.payload_bytes);
    std::vector<Event> continuation(extra);
    PackPayload(payload, continuation);
    const std::uint64_t seq = ring_.Claim(1 + extra);
    ring_.Publish(seq, e);
    for (std::uint32_t i = 0; i < extra; ++i) ring_.Publish(seq + 1 + i, continuation[i]);
  }
  static Event AllocEvent(std::uint64_t id, std::uint64_t size) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
    e.buffer_id = id;
    e.address = id << 12;
    e.size = size;
    return e;
  }
  void Alloc(std::uint64_t id, std::uint64_t size) { Record(EventKind::kAlloc, AllocEvent(id, size)); }
  void Free(std::uint64_t id) {
    Event e{};
    e.buffer_id = id;
    Record(EventKind::kFree, e);
  }
  void Begin() {
    Event e{};
    e.buffer_id = kPid;
    e.size = std::uint64_t{getuid()} + 1;
    Record(EventKind::kProcess, e, "unit");
  }
  void End() {
    Event e{};
    e.type = static_cast<std::uint8_t>(ProcessState::kExited);
    Record(EventKind::kProcessEnd, e);
  }
  // A slot claimed and never published: its producer died mid-hook.
  void ClaimAndDie() { ring_.Claim(1); }

 private:
  EventRing& ring_;
};

std::unique_ptr<EventRing> MakeRing() {
  std::string error;
  auto ring = EventRing::Create(kMinRingSlots, OnFull::kBlock, &error);
  EXPECT_NE(ring, nullptr) << error;
  return ring;
}

class ScratchFile {
 public:
  ScratchFile() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "memledger-embedded-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  ~ScratchFile() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string path() const { return (dir_ / "capture.mlcap").string(); }

 private:
  std::filesystem::path dir_;
};

std::unique_ptr<CaptureWriter> OpenCapture(const std::string& path) {
  std::string error;
  auto writer = CaptureWriter::Open(path, CaptureStart{kPid, "unit", 1, {}}, &error);
  EXPECT_NE(writer, nullptr) << error;
  return writer;
}

TEST(EmbeddedConsumer, DrainsIntoTheLedgerAndACaptureThatReplaysToTheSameBooks) {
  ScratchFile capture;
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", OpenCapture(capture.path()));
  EXPECT_FALSE(consumer.OnDrainThread());
  Producer producer(*ring);
  producer.Begin();
  const std::uint64_t buffers = 3 * kMinRingSlots;  // more than the ring holds: the consumer must keep up
  for (std::uint64_t id = 1; id <= buffers; ++id) producer.Alloc(id, 100);
  const std::string label(150, 'L');  // three continuation slots
  producer.Record(EventKind::kMark, {}, label);
  for (std::uint64_t id = 2; id <= buffers; ++id) producer.Free(id);
  producer.End();
  consumer.Stop();

  const Ledger& ledger = consumer.ledger();
  const ProcessBooks& books = ledger.processes().at(0);
  EXPECT_EQ(books.state, ProcessState::kExited);
  EXPECT_EQ(books.events, 1 + buffers + 1 + (buffers - 1) + 1);
  EXPECT_EQ(books.leaked_buffers, 1u);
  EXPECT_EQ(books.leaked_bytes, 100u);
  EXPECT_EQ(books.lost_slots, 0u);
  ASSERT_EQ(books.marks.size(), 1u);
  EXPECT_EQ(books.marks[0].second, label) << "time stamps must not land in payload slots";
  EXPECT_GT(books.marks[0].first, 0u) << "records are stamped as they are drained";
  EXPECT_EQ(consumer.capture_error(), "");
  EXPECT_EQ(ledger.Validate(), std::nullopt);

  Ledger replayed;
  const ReplayResult result = ReplayCapture(capture.path(), replayed);
  EXPECT_EQ(result.problem, "");
  EXPECT_TRUE(result.clean_end);
  EXPECT_EQ(SummaryJson(replayed), SummaryJson(ledger)) << "one accounting path: live and replayed books agree";
  EXPECT_EQ(replayed.processes().at(0).marks.at(0), books.marks[0]);
}

// The consumer ends the books with the end record the process did not
// write, and writes it to the capture too: the capture says how it ended.
TEST(EmbeddedConsumer, StopWithoutAnEndRecordDrainsEverythingAndEndsTheProcess) {
  ScratchFile capture;
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", OpenCapture(capture.path()));
  Producer producer(*ring);
  for (std::uint64_t id = 1; id <= 500; ++id) producer.Alloc(id, 8);
  consumer.Stop();
  consumer.Stop();  // idempotent
  const Ledger& ledger = consumer.ledger();
  const ProcessBooks& books = ledger.processes().at(0);
  EXPECT_EQ(books.events, 501u) << "500 allocs and the consumer's end record";
  EXPECT_EQ(books.state, ProcessState::kExited);
  EXPECT_EQ(books.leaked_buffers, 500u);
  EXPECT_EQ(ring->header().processed.load(), ring->header().head.load()) << "flush waiters see everything processed";

  Ledger replayed;
  const ReplayResult result = ReplayCapture(capture.path(), replayed);
  EXPECT_EQ(result.problem, "");
  EXPECT_TRUE(result.clean_end) << "the capture ends as the books do";
  const ProcessBooks& replayed_books = replayed.processes().at(0);
  EXPECT_EQ(replayed_books.state, ProcessState::kExited);
  EXPECT_EQ(replayed_books.events, 501u);
  EXPECT_EQ(replayed_books.leaked_buffers, 500u);
  EXPECT_EQ(replayed_books.lost_slots, 0u);
}

// The consumer runs as a thread the application can tell from its own (top
// -H, perf, the in-situ benchmark): named memledger-drain.
TEST(EmbeddedConsumer, ItsThreadIsNamed) {
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  auto named = [] {
    int count = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      count += name == "memledger-drain";
    }
    return count;
  };
  EXPECT_EQ(named(), 0);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", nullptr);
  EXPECT_EQ(named(), 1);
  consumer.Stop();
  EXPECT_EQ(named(), 0);
}

TEST(EmbeddedConsumer, MarksProgressForFlushWhileRunning) {
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", nullptr);
  Producer producer(*ring);
  for (std::uint64_t id = 1; id <= 10; ++id) producer.Alloc(id, 8);
  const std::uint64_t target = ring->header().head.load();
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (ring->header().processed.load(std::memory_order_acquire) < target &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_GE(ring->header().processed.load(), target);
  consumer.Stop();
}

TEST(EmbeddedConsumer, FlushesTheCaptureWhileRunning) {
  ScratchFile capture;
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", OpenCapture(capture.path()));
  Producer producer(*ring);
  producer.Begin();
  producer.Alloc(1, 64);
  // A crash from here on must not lose these records: within a few seconds
  // they are in the file without Stop().
  std::uint64_t records = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (records < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
    Ledger ledger;
    records = ReplayCapture(capture.path(), ledger).records;
  }
  EXPECT_EQ(records, 2u);
  consumer.Stop();
}

// One slot claimed and never published, between published records: at Stop
// the consumer gives up on it after its grace period and reads on. The books
// must count that one slot once.
TEST(EmbeddedConsumer, SlotNeverPublishedIsCountedLostOnce) {
  ScratchFile capture;
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", OpenCapture(capture.path()));
  Producer producer(*ring);
  producer.Alloc(1, 8);
  producer.ClaimAndDie();
  producer.Alloc(2, 8);
  producer.End();
  consumer.Stop();
  const ProcessBooks& books = consumer.ledger().processes().at(0);
  EXPECT_EQ(books.events, 3u) << "the records after the lost slot are read";
  EXPECT_EQ(books.lost_slots, 1u);

  Ledger replayed;
  ReplayCapture(capture.path(), replayed);
  EXPECT_EQ(replayed.processes().at(0).lost_slots, 1u);
}

// The last slot claimed and never published: lost once, in the books and in
// the capture (the gap before the end record the consumer writes).
TEST(EmbeddedConsumer, TrailingSlotNeverPublishedIsCountedLostOnce) {
  ScratchFile capture;
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", OpenCapture(capture.path()));
  Producer producer(*ring);
  producer.Alloc(1, 8);
  producer.ClaimAndDie();
  consumer.Stop();  // gives the slot up after its grace period: a Stop that waited for it would hang the test
  const ProcessBooks& books = consumer.ledger().processes().at(0);
  EXPECT_EQ(books.events, 2u) << "the alloc and the consumer's end record";
  EXPECT_EQ(books.lost_slots, 1u);
  EXPECT_EQ(books.state, ProcessState::kExited);

  Ledger replayed;
  const ReplayResult result = ReplayCapture(capture.path(), replayed);
  EXPECT_TRUE(result.clean_end);
  EXPECT_EQ(replayed.processes().at(0).lost_slots, 1u);
  EXPECT_EQ(replayed.processes().at(0).state, ProcessState::kExited);
}

}  // namespace
}  // namespace memledger

namespace memledger {
namespace {

TEST(EmbeddedConsumer, PausesOnlyAtARecordBoundaryAndResumesWhereItStopped) {
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  // Published before the consumer starts, so that its first drain sees all of
  // it, whenever it runs: two whole records, then a mark whose header is
  // published and whose payload slot is not yet.
  Producer producer(*ring);
  producer.Begin();
  producer.Alloc(1, 100);
  Event mark{};
  mark.kind = static_cast<std::uint8_t>(EventKind::kMark);
  mark.payload_bytes = 5;
  const std::uint64_t seq = ring->Claim(2);
  ring->Publish(seq, mark);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", nullptr);
  // Commits fall on record boundaries (ring_consumer.h): the half-published
  // record stays in the ring, and the pause is at once (the bound is a hang guard).
  ASSERT_TRUE(consumer.PauseAtRecordBoundary(60s));
  EXPECT_EQ(TailSeq(ring->header().tail.load()), seq) << "half a record never changes hands";
  EXPECT_EQ(consumer.ledger().process(consumer.process()).marks.size(), 0u);
  EXPECT_EQ(consumer.records(), 2u);
  Event payload[1];
  PackPayload("step0", payload);
  ring->Publish(seq + 1, payload[0]);

  producer.Alloc(2, 50);  // published while no one drains
  consumer.Resume(TakeRing(ring->header()));
  producer.Free(1);
  producer.End();
  consumer.Stop();
  const ProcessBooks& books = consumer.ledger().process(consumer.process());
  EXPECT_EQ(books.state, ProcessState::kExited);
  EXPECT_EQ(books.leaked_buffers, 1u);
  EXPECT_EQ(books.leaked_bytes, 50u);
  EXPECT_EQ(books.lost_slots, 0u);
  EXPECT_EQ(books.marks.size(), 1u) << "the record is applied whole, after the resume";
  for (const std::uint64_t n : books.anomalies) EXPECT_EQ(n, 0u);
}

TEST(EmbeddedConsumer, PausesBetweenBatchesWithoutCatchingUpFirst) {
  // A backlog far larger than one batch, as when the program produces faster
  // than the consumer drains (ASan builds): the pause must not wait for the
  // consumer to catch up, which may never happen. Here it cannot happen: the
  // last slot of the backlog is claimed and published only after the pause,
  // so the consumer can drain up to it and no further.
  //
  // A consumer that paused only once it could drain no further would pause at
  // that slot every time; one that pauses between batches does so before it,
  // unless this thread was held off the CPU while the consumer drained the
  // whole backlog. So each round checks the pause, and the rounds go on until
  // one pauses before the last slot.
  constexpr std::uint64_t kBuffers = 60000;
  constexpr int kRounds = 20;
  int round = 0;
  bool paused_before_the_end = false;
  for (; round < kRounds && !paused_before_the_end && !HasFailure(); ++round) {
    std::string error;
    auto ring = EventRing::Create(1 << 17, OnFull::kBlock, &error);
    ASSERT_NE(ring, nullptr) << error;
    Producer producer(*ring);
    for (std::uint64_t id = 1; id <= kBuffers; ++id) producer.Alloc(id, 8);
    const std::uint64_t last = ring->Claim(1);
    EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", nullptr);
    ASSERT_TRUE(consumer.PauseAtRecordBoundary(60s)) << "round " << round;  // the bound is a hang guard
    const std::uint64_t paused_at = TailSeq(ring->header().tail.load());
    EXPECT_LE(paused_at, last) << "round " << round << ": drained a slot never published";
    EXPECT_EQ(consumer.records(), paused_at - 1) << "round " << round << ": everything drained is applied";
    paused_before_the_end = paused_at < last;

    ring->Publish(last, Producer::AllocEvent(kBuffers + 1, 8));
    consumer.Resume(TakeRing(ring->header()));
    producer.End();
    consumer.Stop();
    const ProcessBooks& books = consumer.ledger().process(consumer.process());
    EXPECT_EQ(books.events, kBuffers + 2) << "round " << round << ": the rest was drained after the resume";
    EXPECT_EQ(books.leaked_buffers, kBuffers + 1) << "round " << round;
    EXPECT_EQ(books.lost_slots, 0u) << "round " << round;
  }
  EXPECT_TRUE(paused_before_the_end) << "in " << round << " rounds the consumer paused only once it could drain no further";
}

TEST(EmbeddedConsumer, ATakeoverBeginsWithWhatWasCarriedAndCountsFreesFromBefore) {
  auto ring = MakeRing();
  ASSERT_NE(ring, nullptr);
  const Handover before{.handovers = 1};
  std::vector<Event> carried;
  Event alloc{};
  alloc.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  alloc.buffer_id = 7;
  alloc.address = 7 << 12;
  alloc.size = 700;
  AppendRecord(carried, alloc);
  EmbeddedConsumer consumer(*ring, TakeRing(ring->header()), kPid, "unit", nullptr, nullptr, &before, carried);
  Producer producer(*ring);
  producer.Free(7);   // carried over: matched
  producer.Free(99);  // allocated before anyone here saw it: missed
  producer.Alloc(3, 30);
  producer.End();
  consumer.Stop();
  const ProcessBooks& books = consumer.ledger().process(consumer.process());
  EXPECT_TRUE(books.handover.joined_late);
  EXPECT_EQ(books.handover.handovers, 1u);
  EXPECT_EQ(books.handover.carried_buffers, 1u);
  EXPECT_EQ(books.handover.missed_frees, 1u);
  EXPECT_EQ(books.anomalies[static_cast<int>(Anomaly::kUnknownFree)], 0u);
  EXPECT_EQ(books.leaked_bytes, 30u);
  EXPECT_EQ(books.uid, getuid());
}

}  // namespace
}  // namespace memledger
