// legacy_references_test.cc — the old tracker's booking rules
// (src/legacy/legacy_references.h) through a real Ledger: the totals the old
// tracker booked, and no anomaly where it saw none — its own demo's buffers
// numbered 1, 2, 3 ... with sizes of megabytes, a repeated ALLOC of a live
// address, programs' CBs at one address — while frees of nothing live are
// still counted.
#include "legacy/legacy_references.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "ledger/ledger.h"

namespace memledger::legacy {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

LegacyMessage Message(MessageType type, std::uint64_t id, std::uint64_t size = 0, std::uint8_t buffer_type = 0,
                      std::int32_t device = 0) {
  LegacyMessage m;
  m.type = type;
  m.device_id = device;
  m.buffer_id = id;
  m.size = size;
  m.buffer_type = buffer_type;
  return m;
}

// One legacy connection booked in a ledger, as the listener does.
class Connection {
 public:
  Connection() : process_(ledger_.BeginProcess(4242, "legacy")) {}
  // Books `m`; true when it reached the ledger.
  bool Send(const LegacyMessage& m) {
    auto event = references_.Book(m);
    if (!event) return false;
    event->seq = next_seq_++;
    ledger_.Apply(process_, Record{*event, {}});
    return true;
  }
  std::uint64_t Live(std::uint8_t type, std::uint16_t device = 0) const {
    return device < ledger_.devices().size() ? ledger_.devices()[device].types[type].live_bytes : 0;
  }
  std::uint64_t AnomalyTotal() const {
    std::uint64_t total = 0;
    for (const std::uint64_t n : ledger_.anomalies()) total += n;
    return total;
  }
  std::uint64_t Anomalies(Anomaly kind) const { return ledger_.anomalies()[static_cast<int>(kind)]; }
  void End(ProcessState how) { ledger_.EndProcess(process_, how, 0); }
  const ProcessBooks& books() const { return ledger_.process(process_); }
  const Ledger& ledger() const { return ledger_; }
  LegacyReferences& references() { return references_; }

 private:
  Ledger ledger_;
  ProcessIndex process_;
  LegacyReferences references_;
  std::uint64_t next_seq_ = 1;
};

// The old tracker's demo client (allocation_client_demo): 4 x 1 MiB of L1,
// 4 x 25 MiB of DRAM, 8 x 1 MiB of L1, ids 1 to 16 (a counter, not an address).
void DemoAllocations(Connection& c) {
  std::uint64_t id = 1;
  for (int i = 0; i < 4; ++i) c.Send(Message(MessageType::kAlloc, id++, kMiB, 1));
  for (int i = 0; i < 4; ++i) c.Send(Message(MessageType::kAlloc, id++, 25 * kMiB, 0));
  for (int i = 0; i < 8; ++i) c.Send(Message(MessageType::kAlloc, id++, kMiB, 1));
}

TEST(LegacyReferences, TheOldDemoRunsCleanWithTheOldTotals) {
  Connection c;
  DemoAllocations(c);
  EXPECT_EQ(c.Live(MEMLEDGER_L1), 12 * kMiB);
  EXPECT_EQ(c.Live(MEMLEDGER_DRAM), 100 * kMiB);
  // Its FREE leaves buffer_type and size 0 (memset).
  for (std::uint64_t id = 1; id <= 16; ++id) c.Send(Message(MessageType::kFree, id));
  EXPECT_EQ(c.Live(MEMLEDGER_L1), 0u);
  EXPECT_EQ(c.Live(MEMLEDGER_DRAM), 0u);
  c.End(ProcessState::kExited);
  EXPECT_EQ(c.AnomalyTotal(), 0u) << "the ids 1, 2, 3 ... are no addresses: nothing overlaps";
  EXPECT_EQ(c.books().leaked_buffers, 0u);
}

TEST(LegacyReferences, TheOldDemoKilledLeaksWhatItHeldWithNoOverlap) {
  Connection c;
  DemoAllocations(c);
  c.End(ProcessState::kKilled);
  EXPECT_EQ(c.books().leaked_buffers, 16u);
  EXPECT_EQ(c.books().leaked_bytes, 112 * kMiB);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, ARepeatedAllocOfALiveIdIsAReference) {
  Connection c;
  EXPECT_TRUE(c.Send(Message(MessageType::kAlloc, 0x1000, 4096, 1)));
  EXPECT_FALSE(c.Send(Message(MessageType::kAlloc, 0x1000, 4096, 1)));  // cached program buffers, re-reported
  EXPECT_FALSE(c.Send(Message(MessageType::kAlloc, 0x1000, 8192, 1)));  // the first size stays, as the old tracker's
  EXPECT_EQ(c.Live(MEMLEDGER_L1), 4096u);
  EXPECT_EQ(c.references().repeated_allocs(), 2u);
  EXPECT_FALSE(c.Send(Message(MessageType::kFree, 0x1000)));
  EXPECT_FALSE(c.Send(Message(MessageType::kFree, 0x1000)));
  EXPECT_EQ(c.Live(MEMLEDGER_L1), 4096u) << "freed with its last reference";
  EXPECT_TRUE(c.Send(Message(MessageType::kFree, 0x1000)));
  EXPECT_EQ(c.Live(MEMLEDGER_L1), 0u);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, AFreeIsOfTheAllocsTypeWhateverItSays) {
  Connection c;
  c.Send(Message(MessageType::kAlloc, 0x8000, 2048, 3));  // L1_SMALL
  c.Send(Message(MessageType::kFree, 0x8000, 0, 0));       // says DRAM
  EXPECT_EQ(c.Live(MEMLEDGER_L1_SMALL), 0u);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, ProgramsCircularBuffersAtOneAddressEachCount) {
  Connection c;
  // Three programs' CBs at the same L1 address, as that runtime places them.
  EXPECT_TRUE(c.Send(Message(MessageType::kCbAlloc, 0x40000, 2048)));
  EXPECT_TRUE(c.Send(Message(MessageType::kCbAlloc, 0x40000, 4096)));
  EXPECT_TRUE(c.Send(Message(MessageType::kCbAlloc, 0x40000, 2048)));
  EXPECT_EQ(c.Live(MEMLEDGER_CB), 8192u) << "the old tracker added each CB's size";
  EXPECT_TRUE(c.Send(Message(MessageType::kCbFree, 0x40000, 4096)));  // the one of its size
  EXPECT_EQ(c.Live(MEMLEDGER_CB), 4096u);
  EXPECT_TRUE(c.Send(Message(MessageType::kCbFree, 0x40000, 2048)));
  EXPECT_TRUE(c.Send(Message(MessageType::kCbFree, 0x40000, 2048)));
  EXPECT_EQ(c.Live(MEMLEDGER_CB), 0u);
  c.End(ProcessState::kExited);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, KernelsLoadedTwiceEachCount) {
  Connection c;
  c.Send(Message(MessageType::kKernelLoad, 7, 8192));
  c.Send(Message(MessageType::kKernelLoad, 7, 8192));
  EXPECT_EQ(c.Live(MEMLEDGER_KERNEL), 16384u);
  c.Send(Message(MessageType::kKernelUnload, 7, 8192));
  EXPECT_EQ(c.Live(MEMLEDGER_KERNEL), 8192u);
  c.End(ProcessState::kKilled);
  EXPECT_EQ(c.books().leaked_bytes, 8192u);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, IdsAreKeptPerDeviceAndClass) {
  Connection c;
  c.Send(Message(MessageType::kAlloc, 0x1000, 100, 0, 0));
  c.Send(Message(MessageType::kAlloc, 0x1000, 200, 0, 1));
  c.Send(Message(MessageType::kCbAlloc, 0x1000, 300, 0, 0));
  EXPECT_EQ(c.Live(MEMLEDGER_DRAM, 0), 100u);
  EXPECT_EQ(c.Live(MEMLEDGER_DRAM, 1), 200u);
  EXPECT_EQ(c.Live(MEMLEDGER_CB, 0), 300u);
  EXPECT_EQ(c.references().repeated_allocs(), 0u);
  EXPECT_EQ(c.AnomalyTotal(), 0u);
}

TEST(LegacyReferences, FreesOfNothingLiveAreStillCounted) {
  Connection c;
  EXPECT_TRUE(c.Send(Message(MessageType::kFree, 0x5000)));
  EXPECT_EQ(c.Anomalies(Anomaly::kUnknownFree), 1u);
  c.Send(Message(MessageType::kAlloc, 0x6000, 64));
  c.Send(Message(MessageType::kFree, 0x6000));
  EXPECT_TRUE(c.Send(Message(MessageType::kFree, 0x6000)));
  EXPECT_EQ(c.Anomalies(Anomaly::kDoubleFree), 1u);
  EXPECT_TRUE(c.Send(Message(MessageType::kCbFree, 0x7000, 64)));
  EXPECT_EQ(c.Anomalies(Anomaly::kUnknownFree), 2u);
}

TEST(LegacyReferences, ItsOwnIdentitiesNeverMeetAClientsId) {
  Connection c;
  constexpr std::uint64_t kOwn = std::uint64_t{1} << 63;
  c.Send(Message(MessageType::kCbAlloc, 0x10, 64));
  c.Send(Message(MessageType::kCbAlloc, 0x10, 64));    // booked under the first own identity
  c.Send(Message(MessageType::kCbAlloc, kOwn, 128));   // a client id equal to it: another own one
  c.Send(Message(MessageType::kCbFree, kOwn + 1, 8));  // nothing live under that id: passed on, unknown
  EXPECT_EQ(c.Live(MEMLEDGER_CB), 256u);
  EXPECT_EQ(c.Anomalies(Anomaly::kUnknownFree), 1u);
  c.Send(Message(MessageType::kCbFree, kOwn, 128));
  c.Send(Message(MessageType::kCbFree, 0x10, 64));
  c.Send(Message(MessageType::kCbFree, 0x10, 64));
  EXPECT_EQ(c.Live(MEMLEDGER_CB), 0u);
  EXPECT_EQ(c.AnomalyTotal(), 1u);
  EXPECT_TRUE(c.references().Held().empty());
}

TEST(LegacyReferences, HeldListsEveryEntryWithItsReferences) {
  Connection c;
  c.Send(Message(MessageType::kAlloc, 0x1000, 4096, 1));
  c.Send(Message(MessageType::kAlloc, 0x1000, 4096, 1));
  c.Send(Message(MessageType::kCbAlloc, 0x2000, 512, 0, 2));
  c.Send(Message(MessageType::kCbAlloc, 0x2000, 256, 0, 2));
  c.Send(Message(MessageType::kKernelLoad, 3, 1024));
  auto held = c.references().Held();
  std::sort(held.begin(), held.end(), [](const HeldBuffer& a, const HeldBuffer& b) { return a.size < b.size; });
  ASSERT_EQ(held.size(), 4u);
  EXPECT_EQ(held[0].kind, EventKind::kCbAlloc);
  EXPECT_EQ(held[0].size, 256u);
  EXPECT_EQ(held[0].device, 2);
  EXPECT_EQ(held[0].id, 0x2000u);
  EXPECT_EQ(held[2].kind, EventKind::kKernelLoad);
  EXPECT_EQ(held[2].type, MEMLEDGER_KERNEL);
  EXPECT_EQ(held[3].type, MEMLEDGER_L1);
  EXPECT_EQ(held[3].references, 2u);
}

TEST(LegacyReferences, RequestsAreNoEvents) {
  LegacyReferences references;
  for (const MessageType type : {MessageType::kQuery, MessageType::kDeviceInfoQuery, MessageType::kDumpRemaining,
                                 MessageType::kDumpKernels}) {
    EXPECT_EQ(references.Book(Message(type, 1, 1)), std::nullopt);
  }
}

}  // namespace
}  // namespace memledger::legacy
