// anomaly_examples_test.cc — each anomaly site keeps its first anomaly's
// facts (src/ledger/accounting.h AnomalyExample): the buffers involved with
// their identity, range, allocation and tag, and the events that made it —
// a double free's first free, an overlap's other buffer, a double alloc's
// replaced one — with and without stacks.
#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

class AnomalyExamplesTest : public LedgerTest {
 protected:
  // The one site of `kind` (a failure when there is not exactly one).
  const AnomalySiteTotals& Site(Anomaly kind) {
    const AnomalySiteTotals* found = nullptr;
    int n = 0;
    for (const auto& [key, totals] : ledger_.anomaly_sites()) {
      if (key.kind != kind) continue;
      found = &totals;
      ++n;
    }
    EXPECT_EQ(n, 1) << AnomalyName(kind);
    static const AnomalySiteTotals kNone{};
    return found != nullptr ? *found : kNone;
  }
  const AnomalySiteKey& Key(Anomaly kind) {
    for (const auto& [key, totals] : ledger_.anomaly_sites()) {
      if (key.kind == kind) return key;
    }
    static const AnomalySiteKey kNone{};
    ADD_FAILURE() << "no site of " << AnomalyName(kind);
    return kNone;
  }
};

TEST_F(AnomalyExamplesTest, ADoubleFreeKeepsTheAllocationAndBothFrees) {
  const ProcessIndex p = Begin();
  Tag(p, 3, "weights");
  Alloc(p, Buf{.id = 7, .address = 0x1000, .size = 0x800, .tag = 3, .stack = 11});  // seq 2
  Free(p, Buf{.id = 7, .stack = 12});                                                // seq 3
  Free(p, Buf{.id = 7, .stack = 13});                                                // seq 4
  const AnomalySiteTotals& site = Site(Anomaly::kDoubleFree);
  EXPECT_EQ(site.count, 1u);
  const AnomalyExample& x = site.example;
  EXPECT_EQ(x.seq, 4u);
  EXPECT_EQ(x.device, 0u);
  EXPECT_EQ(ledger_.type_name(x.type), "DRAM");
  EXPECT_EQ(x.buffer.identity, 7u);
  EXPECT_EQ(x.buffer.address, 0x1000u);
  EXPECT_EQ(x.buffer.size, 0x800u);
  EXPECT_EQ(x.buffer.alloc_seq, 2u);
  EXPECT_EQ(x.buffer.alloc_stack, 11u);
  EXPECT_EQ(x.buffer.tag, 3u);
  EXPECT_EQ(x.first_free_seq, 3u);
  EXPECT_EQ(x.first_free_stack, 12u);
  EXPECT_EQ(Key(Anomaly::kDoubleFree).stack, 13u);
  EXPECT_EQ(Key(Anomaly::kDoubleFree).alloc_stack, 11u) << "grouped by the allocation too";
}

TEST_F(AnomalyExamplesTest, ADoubleFreeOfAFreeThatFoundItsBufferInAnotherTypeNamesThatBuffer) {
  const ProcessIndex p = Begin();
  Alloc(p, Buf{.type = MEMLEDGER_L1, .id = 7, .address = 0x40, .size = 32});  // seq 1
  Free(p, Buf{.id = 7});                                                        // seq 2: DRAM named, L1's freed
  Free(p, Buf{.id = 7});                                                        // seq 3
  const AnomalyExample& x = Site(Anomaly::kDoubleFree).example;
  EXPECT_EQ(x.buffer.address, 0x40u);
  EXPECT_EQ(x.buffer.size, 32u);
  EXPECT_EQ(x.buffer.alloc_seq, 1u);
  EXPECT_EQ(ledger_.type_name(x.type), "L1") << "the type of the buffer it freed";
  EXPECT_EQ(x.first_free_seq, 2u);
}

TEST_F(AnomalyExamplesTest, AnUnknownFreeKeepsWhatTheFreeSaid) {
  const ProcessIndex p = Begin();
  Alloc(p, Buf{.device = 1, .id = 1, .address = 0, .size = 8});
  Free(p, Buf{.device = 1, .type = MEMLEDGER_L1, .id = 9, .address = 0x2000});  // seq 2, no stack
  const AnomalySiteTotals& site = Site(Anomaly::kUnknownFree);
  EXPECT_EQ(Key(Anomaly::kUnknownFree).stack, 0u) << "a site without stacks still keeps its facts";
  EXPECT_EQ(site.example.seq, 2u);
  EXPECT_EQ(site.example.device, 1u);
  EXPECT_EQ(ledger_.type_name(site.example.type), "L1");
  EXPECT_EQ(site.example.buffer.identity, 9u);
  EXPECT_EQ(site.example.buffer.address, 0x2000u);
  EXPECT_EQ(site.example.buffer.size, 0u) << "unknown";
  EXPECT_EQ(site.example.buffer.alloc_seq, 0u) << "never allocated";
}

TEST_F(AnomalyExamplesTest, AnUnknownFreeOnADeviceNeverUsedSaysSo) {
  const ProcessIndex p = Begin();
  Free(p, Buf{.device = 5, .id = 9});
  EXPECT_EQ(Site(Anomaly::kUnknownFree).example.device, kNoDevice);
}

TEST_F(AnomalyExamplesTest, ADoubleAllocKeepsTheReplacedBufferAndTheNewOne) {
  const ProcessIndex p = Begin();
  Alloc(p, Buf{.id = 4, .address = 0x400, .size = 16, .stack = 1});  // seq 1
  Alloc(p, Buf{.id = 4, .address = 0x800, .size = 32, .stack = 5});  // seq 2
  const AnomalyExample& x = Site(Anomaly::kDoubleAlloc).example;
  EXPECT_EQ(x.seq, 2u);
  EXPECT_EQ(x.buffer.address, 0x400u);
  EXPECT_EQ(x.buffer.size, 16u);
  EXPECT_EQ(x.buffer.alloc_seq, 1u);
  EXPECT_EQ(x.buffer.alloc_stack, 1u);
  EXPECT_EQ(x.other.address, 0x800u);
  EXPECT_EQ(x.other.size, 32u);
  EXPECT_EQ(x.other.alloc_seq, 2u);
  EXPECT_EQ(x.other.alloc_stack, 5u);
}

TEST_F(AnomalyExamplesTest, AnOverlapKeepsBothBuffersAndTheFirstOfSeveralNewer) {
  const ProcessIndex p = Begin();
  Alloc(p, Buf{.id = 6, .address = 0x1000, .size = 64, .stack = 1});   // seq 1
  Alloc(p, Buf{.id = 7, .address = 0x1010, .size = 16, .stack = 6});   // seq 2: over 6
  Alloc(p, Buf{.id = 8, .address = 0x1004, .size = 8, .stack = 8});    // seq 3: over 6 too
  Free(p, Buf{.id = 7});                                               // the newer goes first
  Free(p, Buf{.id = 6, .stack = 2});                                   // seq 5: late, so late_free_hook
  const AnomalySiteTotals& site = Site(Anomaly::kLateFreeHook);
  EXPECT_EQ(site.count, 2u);
  const AnomalyExample& x = site.example;
  EXPECT_EQ(x.seq, 5u);
  EXPECT_EQ(x.buffer.identity, 6u);
  EXPECT_EQ(x.buffer.address, 0x1000u);
  EXPECT_EQ(x.buffer.size, 64u);
  EXPECT_EQ(x.buffer.alloc_stack, 1u);
  EXPECT_EQ(x.other.identity, 7u) << "the first newer buffer, though it was freed before";
  EXPECT_EQ(x.other.address, 0x1010u);
  EXPECT_EQ(x.other.size, 16u);
  EXPECT_EQ(x.other.alloc_seq, 2u);
  EXPECT_EQ(x.other.alloc_stack, 6u);
  EXPECT_EQ(x.overlapped_by, 2u);
  Free(p, Buf{.id = 8});
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

TEST_F(AnomalyExamplesTest, AnOverlapThatLeaksKeepsItsOtherBuffer) {
  const ProcessIndex p = Begin();
  Alloc(p, Buf{.id = 6, .address = 0x1000, .size = 64});
  Alloc(p, Buf{.id = 7, .address = 0x1020, .size = 64});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  const AnomalyExample& x = Site(Anomaly::kOverlap).example;
  EXPECT_EQ(x.seq, 0u) << "no event released it: its process ended";
  EXPECT_EQ(x.buffer.identity, 6u);
  EXPECT_EQ(x.other.identity, 7u);
}

TEST_F(AnomalyExamplesTest, ASiteKeepsItsFirstAnomalyAndCountsTheRest) {
  const ProcessIndex p = Begin();
  for (std::uint64_t id = 1; id <= 3; ++id) {
    Alloc(p, Buf{.id = id, .address = id * 0x100, .size = 8, .stack = 1});
    Free(p, Buf{.id = id, .stack = 2});
    Free(p, Buf{.id = id, .stack = 2});
  }
  const AnomalySiteTotals& site = Site(Anomaly::kDoubleFree);
  EXPECT_EQ(site.count, 3u);
  EXPECT_EQ(site.example.buffer.identity, 1u);
  EXPECT_EQ(site.example.seq, 3u);
}

}  // namespace
}  // namespace memledger::ledger_test
