// checkpoints_test.cc — checkpoints in the ledger (issue 17, checkpoints.h):
// what a process allocated after a CHECKPOINT record and still holds, and
// its bytes since, through nesting, reuse of identities, frees, leaks and
// ends; and against a brute-force model on random streams.
#include <random>
#include <set>

#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

class CheckpointTest : public LedgerTest {
 protected:
  // The identities live since `checkpoint`, oldest first.
  std::vector<std::uint64_t> LiveSince(ProcessIndex p, std::uint64_t checkpoint,
                                       std::vector<SeqRange> exclude = {}) const {
    const auto view = ledger_.Since(p, checkpoint, exclude);
    EXPECT_TRUE(view.has_value()) << "checkpoint " << checkpoint << " is not open";
    std::vector<std::uint64_t> ids;
    if (view) {
      for (const auto& [key, buffer] : view->live) ids.push_back(key.identity);
    }
    return ids;
  }
  CheckpointPeak PeakSince(ProcessIndex p, std::uint64_t checkpoint, std::uint16_t type = MEMLEDGER_DRAM) const {
    const auto view = ledger_.Since(p, checkpoint);
    EXPECT_TRUE(view.has_value());
    if (view) {
      for (const CheckpointPeak& peak : view->peaks) {
        if (peak.device == 0 && peak.type == type) return peak;
      }
    }
    return {};
  }
  static Buf Dram(std::uint64_t id, std::uint64_t size = 100) {
    return {.type = MEMLEDGER_DRAM, .id = id, .address = id * 0x1000, .size = size};
  }
};

using Ids = std::vector<std::uint64_t>;

TEST_F(CheckpointTest, OnlyWhatWasAllocatedAfterAndIsStillLive) {
  const auto p = Begin();
  Alloc(p, Dram(1));  // before: a session's buffer
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, Dram(2));
  Alloc(p, Dram(3));
  Alloc(p, Dram(4));
  Free(p, Dram(3));
  Free(p, Dram(1));  // freed inside the window, allocated before it: nothing to say
  EXPECT_EQ(LiveSince(p, c), (Ids{2, 4}));
  const auto view = ledger_.Since(p, c);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->live[0].second.size, 100u);
  EXPECT_GT(view->live[0].second.seq, c);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(CheckpointTest, NothingSinceIsEmptyAndCostsNoBooks) {
  const auto p = Begin();
  Alloc(p, Dram(1));
  const std::uint64_t c = Checkpoint(p);
  EXPECT_TRUE(LiveSince(p, c).empty());
  CheckpointEnd(p, c);
  EXPECT_FALSE(ledger_.Since(p, c)) << "ended";
  EXPECT_FALSE(ledger_.Since(p, c + 1000)) << "never begun";
  EXPECT_EQ(AllAnomalies(p), 0u);
}

// An identity freed before the window and allocated again in it is a new
// buffer; one allocated twice in it (a double alloc) is the second.
TEST_F(CheckpointTest, ReusedAndReplacedIdentitiesAreTheirNewestBuffer) {
  const auto p = Begin();
  Alloc(p, Dram(1));
  const std::uint64_t c = Checkpoint(p);
  Free(p, Dram(1));
  Alloc(p, Dram(1, 300));
  Alloc(p, Dram(2, 10));
  Alloc(p, Dram(2, 20));  // replaces the first 2: a double alloc
  const auto view = ledger_.Since(p, c);
  ASSERT_TRUE(view);
  ASSERT_EQ(view->live.size(), 2u);
  EXPECT_EQ(view->live[0].first.identity, 1u);
  EXPECT_EQ(view->live[0].second.size, 300u);
  EXPECT_EQ(view->live[1].first.identity, 2u);
  EXPECT_EQ(view->live[1].second.size, 20u);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 1u);
}

TEST_F(CheckpointTest, NestedCheckpointsEachSeeTheirOwnWindow) {
  const auto p = Begin();
  const std::uint64_t outer = Checkpoint(p);
  Alloc(p, Dram(1));
  const std::uint64_t middle = Checkpoint(p);
  Alloc(p, Dram(2));
  const std::uint64_t inner = Checkpoint(p);
  Alloc(p, Dram(3));
  EXPECT_EQ(LiveSince(p, outer), (Ids{1, 2, 3}));
  EXPECT_EQ(LiveSince(p, middle), (Ids{2, 3}));
  EXPECT_EQ(LiveSince(p, inner), (Ids{3}));
  CheckpointEnd(p, middle);  // the middle one: the others keep their windows
  EXPECT_EQ(LiveSince(p, outer), (Ids{1, 2, 3}));
  EXPECT_EQ(LiveSince(p, inner), (Ids{3}));
  CheckpointEnd(p, outer);  // the oldest: the log keeps only what the inner one needs
  EXPECT_EQ(LiveSince(p, inner), (Ids{3}));
  Alloc(p, Dram(4));
  EXPECT_EQ(LiveSince(p, inner), (Ids{3, 4}));
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(CheckpointTest, ThePeakSinceIsTheHighestTheProcessReached) {
  const auto p = Begin();
  Alloc(p, Dram(1, 1000));
  const std::uint64_t outer = Checkpoint(p);
  Alloc(p, Dram(2, 500));  // 1500
  Free(p, Dram(2));        // 1000
  const std::uint64_t inner = Checkpoint(p);
  Alloc(p, Dram(3, 200));  // 1200
  Free(p, Dram(1));        // 200
  CheckpointPeak peak = PeakSince(p, outer);
  EXPECT_EQ(peak.at_begin, 1000u);
  EXPECT_EQ(peak.peak, 1500u);
  EXPECT_EQ(peak.now, 200u);
  peak = PeakSince(p, inner);
  EXPECT_EQ(peak.at_begin, 1000u);
  EXPECT_EQ(peak.peak, 1200u);
  CheckpointEnd(p, inner);  // the newest ends: the outer one's window runs on
  Alloc(p, Dram(4, 100));   // 300
  EXPECT_EQ(PeakSince(p, outer).peak, 1500u);
  const std::uint64_t last = Checkpoint(p);
  Alloc(p, Dram(5, 2000));  // 2300
  Free(p, Dram(5));
  EXPECT_EQ(PeakSince(p, last).peak, 2300u);
  EXPECT_EQ(PeakSince(p, last).at_begin, 300u);
  EXPECT_EQ(PeakSince(p, outer).peak, 2300u);
  CheckpointEnd(p, last);
  EXPECT_EQ(PeakSince(p, outer).peak, 2300u) << "the newest's span folded into the one before";
  // A type first used inside the window began at 0.
  Alloc(p, {.type = MEMLEDGER_L1, .id = 9, .address = 64, .size = 64});
  peak = PeakSince(p, outer, MEMLEDGER_L1);
  EXPECT_EQ(peak.at_begin, 0u);
  EXPECT_EQ(peak.peak, 64u);
}

TEST_F(CheckpointTest, ExcludedAllocationsAreLeftOut) {
  const auto p = Begin();
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, Dram(1));
  Alloc(p, Dram(2));  // a wider fixture's, set up inside the window
  Alloc(p, Dram(3));
  const std::uint64_t two = c + 2;
  EXPECT_EQ(LiveSince(p, c, {{two, two + 1}}), (Ids{1, 3}));
}

TEST_F(CheckpointTest, MoreThanTheMostOpenOrUnknownEndsAreInvalid) {
  const auto p = Begin();
  std::vector<std::uint64_t> open;
  for (std::size_t i = 0; i < CheckpointBooks::kMaxOpen; ++i) open.push_back(Checkpoint(p));
  EXPECT_EQ(AllAnomalies(p), 0u);
  const std::uint64_t refused = Checkpoint(p);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  EXPECT_FALSE(ledger_.Since(p, refused));
  CheckpointEnd(p, refused);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u);
  for (const std::uint64_t c : open) CheckpointEnd(p, c);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u);
  CheckpointEnd(p, open[0]);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 3u) << "ended twice";
}

// Books that began part-way (a later segment read alone, a server's books
// after a restart) never saw the checkpoints begun before them: their ends
// are not invalid there. One begun since, unknown, still is; and whole
// books (from record 1) judge every end.
TEST_F(CheckpointTest, AnEndOfACheckpointBegunBeforeTheBooksIsNotInvalid) {
  const auto p = Begin();
  SkipSeq(p, 99);  // the books' first record is 100: 1 to 99 went elsewhere
  Alloc(p, Dram(1));
  CheckpointEnd(p, 50);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 0u);
  const std::uint64_t c = Checkpoint(p);
  CheckpointEnd(p, c);
  CheckpointEnd(p, c);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u) << "one of its own ended twice";
  CheckpointEnd(p, c + 1000);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u) << "one it never saw begin, after its start";

  const auto whole = Begin();
  Alloc(whole, Dram(1));
  CheckpointEnd(whole, 0);
  EXPECT_EQ(Anomalies(whole, Anomaly::kInvalidEvent), 1u) << "whole books judge every end";
}

// A process that took its ring back and handed it back: its books' checkpoints
// went with the release; those begun before it, or while another consumer
// had the stream, end unjudged; one begun after the rejoin is judged again.
TEST_F(CheckpointTest, AfterARejoinTheChecksBeginAgainWhereTheStreamCameBack) {
  const auto p = Begin();
  Alloc(p, Dram(1));
  const std::uint64_t before = Checkpoint(p);
  ledger_.ReleaseProcess(p);
  SkipSeq(p, 50);  // booked by the process's own consumer meanwhile
  ASSERT_TRUE(ledger_.Rejoin(p, Handover{.handovers = 2, .records_elsewhere = 50}));
  Alloc(p, Dram(2));
  CheckpointEnd(p, before);
  CheckpointEnd(p, before + 10);  // begun elsewhere
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 0u);
  const std::uint64_t after = Checkpoint(p);
  CheckpointEnd(p, after);
  CheckpointEnd(p, after);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u) << "one of its own ended twice";
}

TEST_F(CheckpointTest, LeaksAtTheEndAndDeviceClosesLeaveTheWindow) {
  const auto p = Begin();
  DeviceOpen(p, 0, "card");
  const std::uint64_t c = Checkpoint(p);
  Alloc(p, Dram(1));
  DeviceClose(p, 0);  // what it held there leaks: no longer live
  EXPECT_TRUE(LiveSince(p, c).empty());
  Alloc(p, Dram(2));
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_FALSE(ledger_.Since(p, c)) << "an ended process has no checkpoints";
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

// A long window of short-lived buffers keeps its log to about its live ones,
// and to nothing when nothing young is live.
TEST(CheckpointBooks, TheLogStaysBoundedByWhatIsLive) {
  CheckpointBooks books;
  ProcessCounterTables counters;
  ASSERT_TRUE(books.Begin(10, counters));
  std::uint64_t seq = 10;
  const auto key = [](std::uint64_t id) { return LiveKey{0, 0, BufferClass::kBuffer, MEMLEDGER_DRAM, id}; };
  books.OnAlloc(++seq, key(1));
  const std::uint64_t kept = seq;
  std::size_t longest = 0;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    books.OnAlloc(++seq, key(100 + i));
    books.OnRelease(seq);
    longest = std::max(longest, books.log_size());
  }
  EXPECT_LE(longest, 2 * books.young_live() + CheckpointBooks::kLogSlack + 1);
  ASSERT_EQ(books.LiveSince(10).size(), 1u);
  EXPECT_EQ(books.LiveSince(10)[0].key.identity, 1u);
  books.OnRelease(kept);
  EXPECT_EQ(books.young_live(), 0u);
  EXPECT_EQ(books.log_size(), 0u) << "nothing young is live: nothing is kept";
  EXPECT_TRUE(books.LiveSince(10).empty());
  EXPECT_FALSE(books.Begin(10, counters)) << "not after the newest";
  EXPECT_TRUE(books.End(10, counters));
  EXPECT_TRUE(books.empty());
}

// Random streams against a model that keeps every buffer's seq and every
// byte count: each open checkpoint's answer is the model's.
TEST_F(CheckpointTest, AnswersEqualABruteForceModel) {
  std::mt19937_64 random(17);
  const auto p = Begin();
  struct ModelBuffer {
    std::uint64_t seq;
    std::uint8_t type;
    std::uint64_t size;
  };
  std::map<std::uint64_t, ModelBuffer> live;  // by identity (distinct across types here)
  std::map<std::uint8_t, std::uint64_t> bytes;
  struct ModelCheckpoint {
    std::uint64_t seq;
    std::map<std::uint8_t, std::uint64_t> at_begin, peak;
  };
  std::vector<ModelCheckpoint> open;
  std::uint64_t seq = 0;
  const std::uint8_t types[] = {MEMLEDGER_DRAM, MEMLEDGER_L1};
  for (int step = 0; step < 6000; ++step) {
    const auto dice = random() % 100;
    if (dice < 3 && open.size() < CheckpointBooks::kMaxOpen) {
      seq = Checkpoint(p);
      open.push_back({seq, bytes, bytes});
    } else if (dice < 5 && !open.empty()) {
      const std::size_t which = random() % open.size();
      CheckpointEnd(p, open[which].seq);
      ++seq;
      open.erase(open.begin() + static_cast<std::ptrdiff_t>(which));
    } else if (dice < 55 || live.empty()) {
      const std::uint64_t id = 1 + random() % 400;
      const std::uint8_t type = types[id % 2];
      const std::uint64_t size = 1 + random() % 1000;
      Alloc(p, {.type = type, .id = id, .address = id * 0x10000, .size = size});
      ++seq;
      if (const auto it = live.find(id); it != live.end()) bytes[type] -= it->second.size;  // replaced
      live[id] = {seq, type, size};
      bytes[type] += size;
      for (ModelCheckpoint& m : open) m.peak[type] = std::max(m.peak[type], bytes[type]);
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<std::ptrdiff_t>(random() % live.size()));
      Free(p, {.type = it->second.type, .id = it->first, .address = it->first * 0x10000});
      ++seq;
      bytes[it->second.type] -= it->second.size;
      live.erase(it);
    }
    if (step % 50 != 0) continue;
    for (const ModelCheckpoint& m : open) {
      std::vector<std::pair<std::uint64_t, std::uint64_t>> want;  // (seq, identity)
      for (const auto& [id, b] : live) {
        if (b.seq > m.seq) want.emplace_back(b.seq, id);
      }
      std::sort(want.begin(), want.end());
      const auto view = ledger_.Since(p, m.seq);
      ASSERT_TRUE(view) << "step " << step;
      std::vector<std::pair<std::uint64_t, std::uint64_t>> got;
      for (const auto& [key, buffer] : view->live) got.emplace_back(buffer.seq, key.identity);
      ASSERT_EQ(got, want) << "step " << step << " checkpoint " << m.seq;
      for (const std::uint8_t type : types) {
        const CheckpointPeak peak = PeakSince(p, m.seq, type);
        const auto value = [](const std::map<std::uint8_t, std::uint64_t>& of, std::uint8_t t) {
          const auto it = of.find(t);
          return it == of.end() ? std::uint64_t{0} : it->second;
        };
        ASSERT_EQ(peak.at_begin, value(m.at_begin, type)) << "step " << step;
        ASSERT_EQ(peak.peak, value(m.peak, type)) << "step " << step;
        ASSERT_EQ(peak.now, value(bytes, type)) << "step " << step;
      }
    }
  }
  EXPECT_EQ(AllAnomalies(p), Anomalies(p, Anomaly::kDoubleAlloc));
}

}  // namespace
}  // namespace memledger::ledger_test
