// ledger_anomaly_test.cc — every misuse the ledger classifies: unknown_free,
// double_free, double_alloc, overlap, late_free_hook and invalid_events; each
// counted once, in the right process, without disturbing the books
// (src/ledger/ledger.h, "Ordering and identity" in DESIGN.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "ledger_fixture.h"

namespace memledger {
namespace {

using ledger_test::Buf;
using ledger_test::LedgerTest;

constexpr std::uint64_t kFarLater = 1 << 20;  // records: well past any late-free window

using AnomalyTest = LedgerTest;

TEST(AnomalyName, NamesMatchTheSummarySchema) {
  EXPECT_EQ(AnomalyName(Anomaly::kUnknownFree), "unknown_free");
  EXPECT_EQ(AnomalyName(Anomaly::kDoubleFree), "double_free");
  EXPECT_EQ(AnomalyName(Anomaly::kDoubleAlloc), "double_alloc");
  EXPECT_EQ(AnomalyName(Anomaly::kOverlap), "overlap");
  EXPECT_EQ(AnomalyName(Anomaly::kLateFreeHook), "late_free_hook");
  EXPECT_EQ(AnomalyName(Anomaly::kInvalidEvent), "invalid_events");
}

// --- unknown_free / double_free ---------------------------------------------

// Found by fuzz_slot_stream: a buffer at the last address (its range's end
// saturates there, so the range is empty) allocated again left its old
// address-index entry beside the new one (the fixture validates the books
// after every record).
TEST_F(AnomalyTest, ABufferAtTheTopOfTheAddressSpaceAllocatedAgainKeepsOneIndexEntry) {
  const auto p = Begin();
  Alloc(p, {.id = 5, .address = ~0ULL, .size = 16});
  Alloc(p, {.id = 5, .address = ~0ULL, .size = 16});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 1u);
  Alloc(p, {.id = 6, .address = ~0ULL, .size = 16});
  EXPECT_EQ(Anomalies(p, Anomaly::kLateFreeHook) + Anomalies(p, Anomaly::kOverlap), 0u) << "not yet resolved";
  Free(p, {.id = 5});
  Free(p, {.id = 6});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_buffers, 0u);
}

TEST_F(AnomalyTest, FreeOfANeverAllocatedIdentityIsUnknown) {
  const auto p = Begin();
  Free(p, {.id = 5, .address = 0x1000});
  Free(p, {.address = 0x2000});  // by address
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 2u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kUnknownFree), 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).frees, 0u);
  EXPECT_EQ(ledger_.anomalies()[static_cast<int>(Anomaly::kUnknownFree)], 2u);
}

TEST_F(AnomalyTest, SecondFreeOfABufferIsADoubleFree) {
  const auto p = Begin();
  Alloc(p, {.id = 5, .address = 0x1000, .size = 64});
  Free(p, {.id = 5, .address = 0x1000});
  Free(p, {.id = 5, .address = 0x1000});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 1u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kDoubleFree), 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).frees, 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
}

TEST_F(AnomalyTest, DoubleFreeIsPerProcessAndDevice) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Alloc(p, {.id = 5, .address = 0x1000, .size = 64});
  Free(p, {.id = 5});
  Free(q, {.id = 5});               // another process never had it
  Free(p, {.device = 1, .id = 5});  // nor another device
  EXPECT_EQ(Anomalies(q, Anomaly::kUnknownFree), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 0u);
}

// The memory of recent frees is direct-mapped: with a single slot, every free
// forgets the one before it.
TEST_F(AnomalyTest, FreesTheRecentMemoryForgotAreUnknown) {
  ledger_ = Ledger(/*recent_free_log2=*/0);
  const auto p = Begin();
  for (std::uint64_t id = 1; id <= 2; ++id) {
    Alloc(p, {.id = id, .address = id << 12, .size = 16});
    Free(p, {.id = id});
  }
  Free(p, {.id = 1});  // forgotten: unknown
  Free(p, {.id = 2});  // remembered: double
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 1u);
}

// Recent frees are remembered per memory type: a double free of the DRAM
// buffer at an address does not free the L1 buffer at the same address.
TEST_F(AnomalyTest, DoubleFreeIsPerMemoryType) {
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_DRAM, .address = 0x1000, .size = 4096});
  Alloc(p, {.type = MEMLEDGER_L1, .address = 0x1000, .size = 64});
  Free(p, {.type = MEMLEDGER_DRAM, .address = 0x1000});
  Free(p, {.type = MEMLEDGER_DRAM, .address = 0x1000});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).live_bytes, 64u) << "the L1 buffer is still live";
  Free(p, {.type = MEMLEDGER_L1, .address = 0x1000});
  Free(p, {.type = MEMLEDGER_L1, .address = 0x1000});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 2u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kDoubleFree), 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).frees, 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).frees, 1u);
}

TEST_F(AnomalyTest, IdentityReusedAndFreedAgainIsADoubleFreeOnItsThirdFree) {
  const auto p = Begin();
  const Buf k{.id = 7, .address = 0x1000, .size = 16};
  Alloc(p, k);
  Free(p, k);
  Alloc(p, k);
  Free(p, k);
  EXPECT_EQ(AllAnomalies(p), 0u);
  Free(p, k);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 0u);
}

// --- double_alloc -------------------------------------------------------------

TEST_F(AnomalyTest, AllocOfALiveIdentityReplacesIt) {
  const auto p = Begin();
  Alloc(p, {.id = 9, .address = 0x1000, .size = 100});
  Alloc(p, {.id = 9, .address = 0x8000, .size = 300});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 1u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kDoubleAlloc), 0u);
  const TypeCounters& c = Mine(p, 0, MEMLEDGER_DRAM);
  EXPECT_EQ(c.live_buffers, 1u);
  EXPECT_EQ(c.live_bytes, 300u);
  EXPECT_EQ(c.allocs, 2u);
  EXPECT_EQ(ledger_.live_buffer_count(), 1u);
  Free(p, {.id = 9});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(AllAnomalies(p), 1u) << "the free matches the replacement";
}

TEST_F(AnomalyTest, AllocOfALiveAddressWithoutIdentityReplacesIt) {
  const auto p = Begin();
  Alloc(p, {.address = 0x1000, .size = 100});
  Alloc(p, {.address = 0x1000, .size = 200});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 0u) << "a buffer does not overlap the one it replaced";
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 200u);
  Free(p, {.address = 0x1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_buffers, 0u);
}

// --- overlap / late_free_hook ----------------------------------------------------

TEST_F(AnomalyTest, PartialOverlapThatLeaksIsAnOverlap) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1080, .size = 0x100});
  EXPECT_EQ(AllAnomalies(p), 0u) << "classified only when the older buffer goes";
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kOverlap), 0u);
}

TEST_F(AnomalyTest, BuffersWithAnIdentityAndNoAddressNeverOverlap) {
  // Kernels known by their program id alone (address 0) cannot intersect.
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_KERNEL, .id = 1, .address = 0, .size = 0x1000});
  Alloc(p, {.type = MEMLEDGER_KERNEL, .id = 2, .address = 0, .size = 0x1000});
  Free(p, {.type = MEMLEDGER_KERNEL, .id = 1});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

TEST_F(AnomalyTest, ExactOverlapFreedMuchLaterIsAnOverlap) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1000, .size = 0x100});
  SkipSeq(p, kFarLater);
  Free(p, {.id = 1});
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kLateFreeHook), 0u);
}

TEST_F(AnomalyTest, OlderBufferFreedSoonAfterAnOverlappingAllocIsALateFreeHook) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1000, .size = 0x100});  // the allocator reused the address...
  SkipSeq(p, 1000);
  Free(p, {.id = 1});  // ...before the free hook of the older buffer ran
  EXPECT_EQ(Anomalies(p, Anomaly::kLateFreeHook), 1u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kLateFreeHook), 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0x100u);
  Free(p, {.id = 2});
  EXPECT_EQ(AllAnomalies(p), 1u) << "the newer buffer was never overlapped";
}

TEST_F(AnomalyTest, OverlappedBufferReplacedByADoubleAllocIsAnOverlap) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1040, .size = 0x10});
  Alloc(p, {.id = 1, .address = 0x9000, .size = 0x100});  // replaces id 1
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u);
  EXPECT_EQ(Anomalies(p, Anomaly::kLateFreeHook), 0u);
}

TEST_F(AnomalyTest, NewerBufferFreedFirstLeavesTheOlderOneMarked) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x10f0, .size = 0x100});
  Free(p, {.id = 2});
  EXPECT_EQ(AllAnomalies(p), 0u);
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u);
}

TEST_F(AnomalyTest, AdjacentBuffersDoNotOverlap) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1100, .size = 0x100});  // starts where 1 ends
  Alloc(p, {.id = 3, .address = 0x0f00, .size = 0x100});  // ends where 1 starts
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 0u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(AnomalyTest, OverlapNeedsTheSameProcessDeviceAndType) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.device = 1, .id = 2, .address = 0x1000, .size = 0x100});
  Alloc(p, {.type = MEMLEDGER_L1, .id = 3, .address = 0x1000, .size = 0x100});
  Alloc(q, {.id = 4, .address = 0x1000, .size = 0x100});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  ledger_.EndProcess(q, ProcessState::kExited, 0);
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(AllAnomalies(q), 0u);
}

TEST_F(AnomalyTest, BufferInsideAnotherOverlapsIt) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x1000});
  Alloc(p, {.id = 2, .address = 0x1800, .size = 0x10});
  SkipSeq(p, kFarLater);
  Free(p, {.id = 1});
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u);
}

TEST_F(AnomalyTest, EveryNewerBufferOverlappingTheOlderOneIsCounted) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x1000});  // [0x1000, 0x2000)
  Alloc(p, {.id = 2, .address = 0x0f00, .size = 0x200});   // straddles its start
  Alloc(p, {.id = 3, .address = 0x1000, .size = 0x10});    // same start
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  // 1 is overlapped by 2 and 3; 2 is overlapped by 3.
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 3u);
}

// An integrator whose free hook runs late produces late_free_hook, expected
// and harmless with identities. A later, genuine overlap of the same region
// (two live buffers intersecting: the allocator handed memory out twice) must
// still be found: the late-freed buffer's address is history, not a shield.
TEST_F(AnomalyTest, OverlapIsFoundAfterALateFreeHookInTheSameRegion) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x2000, .size = 0x100});   // x
  Alloc(p, {.id = 2, .address = 0x1000, .size = 0x2000});  // a: coalesced over x's memory
  Free(p, {.id = 1});                                        // x's free hook, late
  EXPECT_EQ(Anomalies(p, Anomaly::kLateFreeHook), 1u);
  Alloc(p, {.id = 3, .address = 0x2800, .size = 0x100});   // n: inside a, which is live
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 1u) << "n was allocated inside live a and no overlap was counted";
}

// Churn through an allocator of 64 slots of 0x1000 bytes: buffers of random
// sizes come and go, identities are reused at other addresses, freed entries
// pile up in the address index. Nothing overlaps, so nothing is reported;
// then one buffer laid over three live ones is reported three times.
TEST_F(AnomalyTest, AddressReuseChurnReportsOnlyRealOverlaps) {
  const auto p = Begin();
  constexpr int kSlots = 64;
  constexpr std::uint64_t kSlotBytes = 0x1000;
  std::vector<std::uint64_t> id_in_slot(kSlots, 0);  // 0: free
  std::uint64_t rng = 12345;
  auto next = [&rng] {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return rng >> 33;
  };
  for (std::uint64_t round = 1; round <= 20000; ++round) {
    const int slot = static_cast<int>(next() % kSlots);
    if (id_in_slot[slot] != 0) {
      Free(p, {.id = id_in_slot[slot]});
      id_in_slot[slot] = 0;
    } else {
      const std::uint64_t id = 1 + next() % 500;  // identities come back, elsewhere
      if (std::find(id_in_slot.begin(), id_in_slot.end(), id) != id_in_slot.end()) continue;
      const std::uint64_t offset = (next() % 8) * 0x100;
      const std::uint64_t size = 1 + next() % (kSlotBytes - offset);
      Alloc(p, {.id = id, .address = slot * kSlotBytes + offset, .size = size});
      id_in_slot[slot] = id;
    }
  }
  ASSERT_EQ(AllAnomalies(p), 0u);
  // Make slots 10, 11 and 12 live from their starts, then cover all three.
  for (int slot = 10; slot <= 12; ++slot) {
    if (id_in_slot[slot] != 0) Free(p, {.id = id_in_slot[slot]});
    Alloc(p, {.id = 1000 + static_cast<std::uint64_t>(slot), .address = slot * kSlotBytes, .size = 0x10});
  }
  Alloc(p, {.id = 2000, .address = 10 * kSlotBytes, .size = 3 * kSlotBytes});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 3u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kOverlap), 0u);
}

TEST_F(AnomalyTest, AllocAtTheTopOfTheAddressSpaceDoesNotWrap) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = ~std::uint64_t{0} - 0xff, .size = 0x1000});  // end saturates
  Alloc(p, {.id = 2, .address = 0x0, .size = 0x100});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 0u);
}

// --- invalid_events ---------------------------------------------------------

TEST_F(AnomalyTest, InvalidAllocsAreCountedAndNotBooked) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0});                                 // zero size
  Alloc(p, {.type = kBuiltinTypeCount, .id = 2, .address = 0x1000, .size = 8});     // no such built-in
  Alloc(p, {.type = MEMLEDGER_FIRST_POOL, .id = 3, .address = 0x1000, .size = 8});  // unregistered pool
  Alloc(p, {.type = MEMLEDGER_MAX_TYPES, .id = 4, .address = 0x1000, .size = 8});
  Alloc(p, {.type = 0xff, .id = 5, .address = 0x1000, .size = 8});
  Alloc(p, {.device = kMaxDevices, .id = 6, .address = 0x1000, .size = 8});
  Alloc(p, {.device = 0xffff, .id = 7, .address = 0x1000, .size = 8});
  Hook(p, EventKind::kCbAlloc, {.id = 8, .address = 0x1000, .size = 0});
  Hook(p, EventKind::kKernelLoad, {.device = kMaxDevices, .id = 9, .address = 0x1000, .size = 8});
  Alloc(p, {.id = 10, .address = 0x1000, .size = ~std::uint64_t{0}});  // would overflow every total
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 10u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kInvalidEvent), 0u);
  EXPECT_EQ(ledger_.live_buffer_count(), 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).allocs, 0u);
  EXPECT_LE(ledger_.devices().size(), static_cast<std::size_t>(kMaxDevices)) << "a bad device id grew the books";
}

TEST_F(AnomalyTest, LargeButPlausibleSizesAreBooked) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0, .size = std::uint64_t{1} << 40});  // 1 TiB
  Alloc(p, {.id = 2, .address = std::uint64_t{1} << 41, .size = std::uint64_t{1} << 40});
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, std::uint64_t{2} << 40);
}

TEST_F(AnomalyTest, InvalidDeviceInFreeCloseAndOpenIsCounted) {
  const auto p = Begin();
  Free(p, {.device = kMaxDevices, .id = 1});
  DeviceClose(p, kMaxDevices);
  DeviceOpen(p, kMaxDevices, "too far");
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 3u);
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 0u) << "a bad device is invalid, not unknown";
  EXPECT_LE(ledger_.devices().size(), static_cast<std::size_t>(kMaxDevices));
}

TEST_F(AnomalyTest, MalformedDeviceDescriptionIsInvalid) {
  const auto p = Begin();
  Event open{};
  open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
  Apply(p, open, "xy");  // shorter than its count
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  EXPECT_TRUE(ledger_.devices().empty() || !ledger_.devices()[0].open);
}

TEST_F(AnomalyTest, InvalidPoolDefinitionsAreCounted) {
  const auto p = Begin();
  Pool(p, MEMLEDGER_FIRST_POOL - 1, "shadows a built-in id");
  Pool(p, MEMLEDGER_MAX_TYPES, "beyond the last type");
  Pool(p, MEMLEDGER_FIRST_POOL, "");
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 3u);
  EXPECT_EQ(ledger_.type_count(), static_cast<std::size_t>(kBuiltinTypeCount));
  Alloc(p, {.type = MEMLEDGER_FIRST_POOL, .id = 1, .address = 0x10, .size = 8});
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 4u) << "the empty-named pool must stay unregistered";
}

TEST_F(AnomalyTest, UnknownRecordKindsAreInvalid) {
  const auto p = Begin();
  Event e{};
  e.kind = static_cast<std::uint8_t>(EventKind::kInvalid);
  Apply(p, e);
  e.kind = 99;
  Apply(p, e);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u);
  EXPECT_EQ(ledger_.events(), 2u) << "invalid records still count as events";
}

TEST_F(AnomalyTest, AnomaliesAreBookedToTheProcessThatMadeThem) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Free(p, {.id = 1});
  Alloc(q, {.size = 0});
  Alloc(q, {.size = 0});
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 1u);
  EXPECT_EQ(AllAnomalies(p), 1u);
  EXPECT_EQ(Anomalies(q, Anomaly::kInvalidEvent), 2u);
  EXPECT_EQ(AllAnomalies(q), 2u);
  const AnomalyCounts total = ledger_.anomalies();
  EXPECT_EQ(total[static_cast<int>(Anomaly::kUnknownFree)], 1u);
  EXPECT_EQ(total[static_cast<int>(Anomaly::kInvalidEvent)], 2u);
}

}  // namespace
}  // namespace memledger
