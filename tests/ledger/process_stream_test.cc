// process_stream_test.cc — ProcessStream: records applied in order, times
// given at drain when asked (spread over the drain interval), nothing after
// the end record, and a stream's PROCESS claim applied or ignored as its
// reader decides.
#include "ledger/process_stream.h"

#include <gtest/gtest.h>

#include <vector>

namespace memledger {
namespace {

Event Slot(std::uint64_t seq, EventKind kind, std::uint64_t id = 0, std::uint64_t size = 0) {
  Event e{};
  e.seq = seq;
  e.kind = static_cast<std::uint8_t>(kind);
  e.buffer_id = id;
  e.address = id * 0x1000;
  e.size = size;
  return e;
}

std::vector<Event> Stream() {
  Event process = Slot(1, EventKind::kProcess, /*pid claimed*/ 4242);
  return {process, Slot(2, EventKind::kAlloc, 1, 64), Slot(3, EventKind::kProcessEnd),
          Slot(4, EventKind::kAlloc, 2, 64)};
}

TEST(ProcessStream, AppliesUpToTheEndRecordAndStampsTime) {
  Ledger ledger;
  ProcessStream stream(ledger.BeginProcess(1, "real"), ProcessRecord::kApply);
  std::vector<Event> slots = Stream();
  EXPECT_EQ(stream.Apply(ledger, slots, 12345), 3u) << "the slot after the end record is not consumed";
  EXPECT_TRUE(stream.ended());
  EXPECT_EQ(stream.records(), 3u);
  EXPECT_LT(slots[0].time_ns, slots[1].time_ns) << "a batch's records get distinct times, in sequence order";
  EXPECT_LT(slots[1].time_ns, slots[2].time_ns);
  EXPECT_LE(slots[2].time_ns, 12345u) << "none later than the drain";
  EXPECT_EQ(slots[3].time_ns, 0u);
  EXPECT_EQ(ledger.process(stream.process()).leaked_buffers, 1u) << "the ALLOC after the end is not booked";
}

TEST(ProcessStream, ABurstInOneDrainSpreadsOverTheTimeSinceThePreviousLook) {
  Ledger ledger;
  ProcessStream stream(ledger.BeginProcess(1, "real"), ProcessRecord::kApply);
  std::vector<Event> slots;
  for (std::uint64_t i = 1; i <= 300; ++i) slots.push_back(Slot(i, EventKind::kAlloc, i, 64));
  stream.Looked(1'000'000);
  stream.Apply(ledger, slots, 1'300'000);
  for (std::size_t k = 0; k < slots.size(); ++k) {
    ASSERT_EQ(slots[k].time_ns, 1'000'000 + (k + 1) * 1'000) << "slot " << k;
  }
}

TEST(ProcessStream, WithoutAStampTheRecordedTimeStays) {
  Ledger ledger;
  ProcessStream stream(ledger.BeginProcess(1, "real"), ProcessRecord::kApply);
  std::vector<Event> slots = Stream();
  slots[1].time_ns = 77;
  stream.Apply(ledger, slots, std::nullopt);
  EXPECT_EQ(slots[1].time_ns, 77u);
}

TEST(ProcessStream, AProcessClaimIsAppliedOrIgnoredAsTheReaderSays) {
  Ledger ledger;
  ProcessStream trusted(ledger.BeginProcess(1, "real"), ProcessRecord::kApply);
  ProcessStream untrusted(ledger.BeginProcess(2, "real"), ProcessRecord::kIgnore);
  std::vector<Event> a = Stream(), b = Stream();
  trusted.Apply(ledger, a, std::nullopt);
  untrusted.Apply(ledger, b, std::nullopt);
  EXPECT_EQ(ledger.process(trusted.process()).pid, 4242u);
  EXPECT_EQ(ledger.process(untrusted.process()).pid, 2u) << "a server never takes a client's word for its pid";
  EXPECT_EQ(untrusted.records(), 2u);
}

// A server's books skip the stream's PROCESS record (record 1) yet saw the
// stream from its start: they judge every checkpoint's end, one naming a
// record before their first applied one too.
TEST(ProcessStream, BooksThatSkipTheProcessClaimStillBeginAtTheStreamsStart) {
  Ledger ledger;
  ProcessStream stream(ledger.BeginProcess(1, "real"), ProcessRecord::kIgnore);
  Event end = Slot(3, EventKind::kCheckpointEnd);
  end.buffer_id = 1;  // the checkpoint: record 1, never a CHECKPOINT
  std::vector<Event> slots = {Slot(1, EventKind::kProcess, 4242), Slot(2, EventKind::kAlloc, 1, 64), end};
  stream.Apply(ledger, slots, std::nullopt);
  EXPECT_EQ(ledger.process(stream.process()).first_seq, 1u);
  EXPECT_EQ(ledger.process(stream.process()).anomalies[static_cast<int>(Anomaly::kInvalidEvent)], 1u);
}

}  // namespace
}  // namespace memledger
