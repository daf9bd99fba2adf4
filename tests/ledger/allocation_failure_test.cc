// allocation_failure_test.cc — address spaces and allocation failures in the
// ledger (issue 16): the free space every process's buffers leave on a
// device, and the verdict and holders of each ALLOC_FAILED.
#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

constexpr memledger_address_space Flat(std::uint8_t type, std::uint64_t base, std::uint64_t size,
                                       std::uint32_t alignment = 16) {
  return memledger_address_space{type, type, 1, alignment, base, size};
}
constexpr memledger_address_space CbWithinL1() { return {MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0}; }

class FailureTest : public LedgerTest {
 protected:
  // One device with a flat 1 KiB L1 at 0 and CBs within it.
  ProcessIndex OpenSmallL1(std::uint32_t pid = 1, std::string uid = {}) {
    const auto p = Begin(pid);
    DeviceOpenWithSpaces(p, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()},
                         std::move(uid));
    return p;
  }
  const FreeSpaceMap& L1Map() const {
    const FreeSpaceMap* map = ledger_.FreeSpace(0, MEMLEDGER_L1);
    EXPECT_NE(map, nullptr);
    return *map;
  }
  void AllocAt(ProcessIndex p, std::uint64_t time_ns, const Buf& b) {
    Event e = HookEvent(EventKind::kAlloc, b);
    e.time_ns = time_ns;
    Apply(p, e);
  }
  const AllocationFailure& LastFailure() const {
    EXPECT_FALSE(ledger_.failures().empty());
    return ledger_.failures().back();
  }
};

TEST_F(FailureTest, FreeSpaceFollowsEveryAllocAndFree) {
  const auto p = OpenSmallL1();
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u);
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 768, .size = 256});
  Alloc(p, {.type = MEMLEDGER_L1, .id = 2, .address = 256, .size = 256});
  EXPECT_EQ(L1Map().Figures().free_bytes, 512u);
  EXPECT_EQ(L1Map().Figures().holes, 2u);
  EXPECT_EQ(L1Map().Figures().largest_free_block, 256u);
  Free(p, {.type = MEMLEDGER_L1, .id = 2, .address = 256});
  EXPECT_EQ(L1Map().Figures().largest_free_block, 768u);
  DeviceClose(p, 0);
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u) << "what a close leaks leaves the device";
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_DRAM), nullptr) << "DRAM declared no space";
}

TEST_F(FailureTest, LessFreeThanTheRequestIsExhaustion) {
  const auto p = OpenSmallL1();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 768, .stack = 7});
  AllocFailed(p, 0, MEMLEDGER_L1, 512, 0, 9);
  const AllocationFailure& failure = LastFailure();
  EXPECT_EQ(failure.verdict, FailureVerdict::kExhausted);
  EXPECT_TRUE(failure.has_map);
  EXPECT_EQ(failure.size, 512u);
  EXPECT_EQ(failure.extent, 512u) << "0: the size is the extent";
  EXPECT_EQ(failure.figures.free_bytes, 256u);
  EXPECT_EQ(failure.stack, 9u);
  ASSERT_EQ(failure.holders.size(), 1u);
  EXPECT_EQ(failure.holders[0].stack, 7u);
  EXPECT_EQ(failure.holders[0].bytes, 768u);
  EXPECT_TRUE(failure.blockers.empty());
  EXPECT_EQ(ledger_.process(p).alloc_failures, 1u);
  EXPECT_EQ(ledger_.failure_counts().at({0, MEMLEDGER_L1, FailureVerdict::kExhausted}), 1u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

// Enough free in all, no hole as large: the buffers inside the cheapest
// window a block would need are the ones that split the space.
TEST_F(FailureTest, EnoughFreeWithoutABlockIsFragmentation) {
  const auto p = OpenSmallL1();
  for (std::uint64_t i = 0; i < 4; ++i) {
    Alloc(p, {.type = MEMLEDGER_L1, .id = i + 1, .address = i * 256, .size = i == 2 ? 128u : 256u,
              .stack = static_cast<std::uint32_t>(10 + i)});
  }
  Free(p, {.type = MEMLEDGER_L1, .id = 2, .address = 256});
  Free(p, {.type = MEMLEDGER_L1, .id = 4, .address = 768});
  // Free: [256,512) and [640,1024): 640 in all, the largest 384.
  AllocFailed(p, 0, MEMLEDGER_L1, 500, 512);
  const AllocationFailure& failure = LastFailure();
  EXPECT_EQ(failure.verdict, FailureVerdict::kFragmented);
  EXPECT_EQ(failure.extent, 512u);
  EXPECT_EQ(failure.figures.free_bytes, 640u);
  EXPECT_EQ(failure.figures.holes, 2u);
  EXPECT_EQ(failure.figures.largest_free_block, 384u);
  ASSERT_EQ(failure.blockers.size(), 1u) << "one 128-byte buffer splits the space";
  EXPECT_EQ(failure.blockers[0].block.start, 512u);
  EXPECT_EQ(failure.blockers[0].block.stack, 12u);
  EXPECT_EQ(failure.window_start, 256u);
  ASSERT_EQ(failure.holders.size(), 2u);
  EXPECT_EQ(failure.holders[0].stack, 10u) << "the largest holder first";
}

// CBs within L1 keep no address index (nothing asks it: their overlaps do
// not count; Validate, after every record, finds it empty). When whether
// they count changes with live CBs, the index is built anew from them:
// those that met while overlaps did not count are no anomaly, a CB
// allocated over one after is.
TEST_F(FailureTest, CircularBuffersAreIndexedOnlyWhileTheirOverlapsCount) {
  const auto a = Begin(1);
  const auto b = Begin(2);
  // B's CB before any open: no space declared, its overlaps count. (Addresses
  // are not 0: a buffer with an identity at 0 has no address.)
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 200, .address = 16, .size = 512});
  DeviceOpenWithSpaces(a, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()});
  // Now within L1: B's CBs meet A's and each other without anomalies.
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 201, .address = 100, .size = 100});
  Hook(a, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 100, .address = 0, .size = 512});
  Hook(a, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 100, .address = 0});
  EXPECT_EQ(AllAnomalies(a) + AllAnomalies(b), 0u);
  // A closes and opens the device again declaring no CB space: B's CBs'
  // overlaps count from here, their index rebuilt with 201 inside 200.
  DeviceClose(a, 0);
  DeviceOpenWithSpaces(a, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024)});
  ASSERT_FALSE(ledger_.devices()[0].spaces.PlacedWithin(MEMLEDGER_CB));
  // 201's entry must go with it: left behind inside 200, it would hide 200
  // from 202 (only the nearest entry before a new range is asked).
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 201, .address = 100});
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 202, .address = 300, .size = 16, .stack = 7});
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 200, .address = 16});
  EXPECT_EQ(Anomalies(b, Anomaly::kOverlap) + Anomalies(b, Anomaly::kLateFreeHook), 1u)
      << "202 over 200, and not 201 in 200: they met before";
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 202, .address = 300});
  // Within L1 again: the index goes while 203 is live.
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 203, .address = 16, .size = 64});
  DeviceClose(a, 0);
  DeviceOpenWithSpaces(a, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()});
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 204, .address = 16, .size = 64});
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 203, .address = 16});
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 204, .address = 16});
  EXPECT_EQ(Anomalies(b, Anomaly::kOverlap) + Anomalies(b, Anomaly::kLateFreeHook), 1u);
  EXPECT_EQ(AllAnomalies(a), 0u);
}

// The index built anew marks every buffer inside another, not only those
// next to each other in it: X inside Y with Z between them in address
// order. Left unmarked, X's entry would stay when X goes (lazily), inside
// live Y, and hide Y from W (only the nearest entry before a range is asked).
TEST_F(FailureTest, AnIndexBuiltAnewMarksEveryBufferInsideAnother) {
  const auto a = Begin(1);
  const auto b = Begin(2);
  DeviceOpenWithSpaces(a, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()});
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 1, .address = 16, .size = 512});   // Y
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 2, .address = 32, .size = 16});    // Z
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 3, .address = 200, .size = 100});  // X
  DeviceClose(a, 0);
  DeviceOpenWithSpaces(a, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024)});
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 2, .address = 32});
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 3, .address = 200});
  Hook(b, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 4, .address = 250, .size = 10});  // W
  Hook(b, EventKind::kCbFree, {.type = MEMLEDGER_CB, .id = 1, .address = 16});
  EXPECT_EQ(Anomalies(b, Anomaly::kOverlap) + Anomalies(b, Anomaly::kLateFreeHook), 1u) << "W over Y";
}

// A program's CBs are laid out from L1's base; L1 buffers from the top
// down. The CBs reaching a live L1 buffer are a clash, and the report
// names that buffer and the mark it was allocated after.
TEST_F(FailureTest, CircularBuffersReachingL1BuffersAreAClash) {
  const auto p = OpenSmallL1();
  Mark(p, 100, "step 1");
  Tag(p, 3, "activations");
  AllocAt(p, 200, {.type = MEMLEDGER_L1, .id = 1, .address = 768, .size = 256, .tag = 3, .stack = 21});
  Mark(p, 300, "step 2");
  AllocAt(p, 300, {.type = MEMLEDGER_L1, .id = 2, .address = 640, .size = 128, .stack = 22});
  // Two programs' CBs at the same addresses: they take turns, no overlap.
  Hook(p, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 100, .address = 0, .size = 512});
  Hook(p, EventKind::kCbAlloc, {.type = MEMLEDGER_CB, .id = 101, .address = 0, .size = 384});
  EXPECT_EQ(AllAnomalies(p), 0u) << "CBs within L1 overlap by design";
  EXPECT_EQ(L1Map().Figures().free_bytes, 640u) << "CBs are not L1's free-space figures";
  AllocFailed(p, 0, MEMLEDGER_CB, 800);
  const AllocationFailure& failure = LastFailure();
  EXPECT_EQ(failure.verdict, FailureVerdict::kCbClash);
  EXPECT_EQ(failure.type, MEMLEDGER_CB);
  EXPECT_EQ(failure.space_type, MEMLEDGER_L1);
  EXPECT_EQ(failure.region_end, 800u);
  ASSERT_EQ(failure.blockers.size(), 2u);
  EXPECT_EQ(failure.blockers[0].block.start, 640u) << "lowest first";
  EXPECT_EQ(failure.blockers[0].mark, "step 2");
  EXPECT_EQ(failure.blockers[1].block.start, 768u);
  EXPECT_EQ(failure.blockers[1].block.tag, 3u);
  EXPECT_EQ(failure.blockers[1].mark, "step 1");
  // CBs that would fit under the lowest L1 buffer yet fail: not the books' to explain.
  AllocFailed(p, 0, MEMLEDGER_CB, 512);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kUnexplained);
  // CBs larger than all of L1.
  Free(p, {.type = MEMLEDGER_L1, .id = 1, .address = 768});
  Free(p, {.type = MEMLEDGER_L1, .id = 2, .address = 640});
  AllocFailed(p, 0, MEMLEDGER_CB, 2048);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kExhausted);
}

// Two processes share one device (one uid): its space holds both's buffers,
// and a failure names the holders of both.
TEST_F(FailureTest, TwoProcessesShareOneSpace) {
  const auto p = OpenSmallL1(1, "chip-a");
  const auto q = Begin(2);
  DeviceOpenWithSpaces(q, 5, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()}, "chip-a");
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 256, .stack = 1});
  Alloc(q, {.device = 5, .type = MEMLEDGER_L1, .id = 1, .address = 512, .size = 256, .stack = 2});
  EXPECT_EQ(L1Map().Figures().free_bytes, 512u);
  AllocFailed(q, 5, MEMLEDGER_L1, 512);
  const AllocationFailure& failure = LastFailure();
  EXPECT_EQ(failure.device, 0u);
  EXPECT_EQ(failure.process, static_cast<std::uint32_t>(q));
  EXPECT_EQ(failure.verdict, FailureVerdict::kFragmented);
  ASSERT_EQ(failure.holders.size(), 2u);
  EXPECT_NE(failure.holders[0].process, failure.holders[1].process);
  EXPECT_EQ(AllAnomalies(p) + AllAnomalies(q), 0u);
}

TEST_F(FailureTest, WithoutASpaceOnlyExhaustionCanBeTold) {
  const auto p = Begin();
  DeviceOpen(p, 0, "gpu", {{MEMLEDGER_DRAM, 1000}});
  Alloc(p, {.id = 1, .address = 0x1000, .size = 600});
  AllocFailed(p, 0, MEMLEDGER_DRAM, 500);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kExhausted);
  EXPECT_FALSE(LastFailure().has_map);
  AllocFailed(p, 0, MEMLEDGER_DRAM, 300);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kNoAddressSpace);
  ASSERT_EQ(LastFailure().holders.size(), 1u) << "holders still named";
  EXPECT_EQ(LastFailure().holders[0].bytes, 600u);
}

TEST_F(FailureTest, ABlockLargeEnoughIsNotTheBooksToExplain) {
  const auto p = OpenSmallL1();
  AllocFailed(p, 0, MEMLEDGER_L1, 512);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kUnexplained);
}

TEST_F(FailureTest, BuffersOutsideTheirSpaceAreAnomalies) {
  const auto p = OpenSmallL1();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 1000, .size = 100, .stack = 4});
  EXPECT_EQ(Anomalies(p, Anomaly::kOutsideAddressSpace), 1u);
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kOutsideAddressSpace), 0u);
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u - 32) << "the part inside is occupied";
  Free(p, {.type = MEMLEDGER_L1, .id = 1, .address = 1000});
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u);
  const auto& sites = ledger_.anomaly_sites();
  const auto site = sites.find(AnomalySiteKey{static_cast<std::uint32_t>(p), Anomaly::kOutsideAddressSpace, 4, 4});
  ASSERT_NE(site, sites.end());
  EXPECT_EQ(site->second.example.buffer.address, 1000u);
}

TEST_F(FailureTest, BadDeclarationsAreRefusedAndSaid) {
  const auto p = Begin();
  DeviceOpenWithSpaces(p, 0, "bad", {},
                       {Flat(MEMLEDGER_L1, 0, 0), {MEMLEDGER_DRAM, MEMLEDGER_DRAM, 1, 3, 0, 4096},
                        {MEMLEDGER_CB, MEMLEDGER_TRACE, 0, 0, 0, 0}, Flat(MEMLEDGER_L1_SMALL, 0, 1024),
                        Flat(MEMLEDGER_L1_SMALL, 0, 2048), {MEMLEDGER_TRACE, MEMLEDGER_TRACE, 3, 1, 0, 1000},
                        Flat(MEMLEDGER_KERNEL, ~0ULL - 10, 100)});
  EXPECT_GE(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  const DeviceBooks& device = ledger_.devices()[0];
  EXPECT_NE(device.space_problem.find("L1"), std::string::npos) << device.space_problem;
  EXPECT_NE(device.space_problem.find("size of 0"), std::string::npos) << device.space_problem;
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_L1), nullptr);
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_DRAM), nullptr) << "alignment 3";
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_TRACE), nullptr) << "3 banks do not divide 1000";
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_KERNEL), nullptr) << "past the end of the address space";
  ASSERT_NE(ledger_.FreeSpace(0, MEMLEDGER_L1_SMALL), nullptr) << "the first of two declarations stands";
  EXPECT_EQ(ledger_.FreeSpace(0, MEMLEDGER_L1_SMALL)->geometry().size, 1024u);
  EXPECT_FALSE(device.spaces.PlacedWithin(MEMLEDGER_CB)) << "TRACE has no space to be within";
}

TEST_F(FailureTest, FailuresOfUnknownTypesOrDevicesAreCounted) {
  const auto p = OpenSmallL1();
  AllocFailed(p, 0, 40, 16);  // a pool never registered
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  EXPECT_TRUE(ledger_.failures().empty());
  AllocFailed(p, 3, MEMLEDGER_DRAM, 16);  // a device never opened: booked and counted
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 2u);
  ASSERT_EQ(ledger_.failures().size(), 1u);
  EXPECT_EQ(LastFailure().verdict, FailureVerdict::kNoAddressSpace);
  AllocFailed(p, 0, MEMLEDGER_L1, 0);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 3u) << "a failure of 0 bytes";
}

TEST_F(FailureTest, AnOpenerDeclaringOtherSpacesIsAConflict) {
  const auto p = OpenSmallL1(1, "chip-a");
  const auto q = Begin(2);
  DeviceOpenWithSpaces(q, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024, 32)}, "chip-a");
  EXPECT_EQ(Anomalies(q, Anomaly::kDeviceConflict), 1u);
  EXPECT_EQ(L1Map().granule(), 16u) << "the first opener's stands";
  const auto r = Begin(3);
  DeviceOpenWithSpaces(r, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {CbWithinL1(), Flat(MEMLEDGER_L1, 0, 1024)}, "chip-a");
  DeviceOpen(r, 1, "tiny", {}, "chip-a");
  EXPECT_EQ(Anomalies(r, Anomaly::kDeviceConflict), 0u) << "the same spaces in another order; none at all";
  EXPECT_EQ(AllAnomalies(p), 0u);
}

// An opener that described the spaces otherwise keeps its buffers out of
// the device's maps: its addresses mean something else there, so they are
// neither outside the space nor holders of it (the conflict says so once).
// One that described them the same, or described none, is in the maps.
TEST_F(FailureTest, AConflictingOpenersBuffersStayOutOfTheMaps) {
  const auto p = OpenSmallL1();
  const auto q = Begin(2);
  Alloc(q, {.type = MEMLEDGER_L1, .id = 9, .address = 0, .size = 128});  // before its open: in the map, then not
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u - 128);
  DeviceOpenWithSpaces(q, 0, "big", {{MEMLEDGER_L1, 1 << 20}}, {Flat(MEMLEDGER_L1, 1 << 20, 1 << 20), CbWithinL1()});
  EXPECT_EQ(Anomalies(q, Anomaly::kDeviceConflict), 1u);
  EXPECT_FALSE(ledger_.InMaps(q, 0));
  EXPECT_EQ(L1Map().Figures().free_bytes, 1024u) << "what it held before its open left the map";
  Alloc(q, {.type = MEMLEDGER_L1, .id = 1, .address = (1 << 20) + 4096, .size = 4096});
  Alloc(q, {.type = MEMLEDGER_L1, .id = 2, .address = 0, .size = 512});
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 256, .size = 256, .stack = 1});
  EXPECT_EQ(AllAnomalies(q), 1u) << "the conflict, and nothing outside the space";
  EXPECT_EQ(AllAnomalies(p), 0u) << "no overlap with the other description's buffer at 0";
  EXPECT_EQ(L1Map().Figures().free_bytes, 768u);
  AllocFailed(p, 0, MEMLEDGER_L1, 1024);
  ASSERT_EQ(LastFailure().holders.size(), 1u) << "only the buffers in the map hold it";
  EXPECT_EQ(LastFailure().holders[0].process, static_cast<std::uint32_t>(p));
  Free(q, {.type = MEMLEDGER_L1, .id = 2, .address = 0});
  EXPECT_EQ(L1Map().Figures().free_bytes, 768u) << "its free takes nothing from the map";
  // The same description, or none, shares the map.
  const auto r = Begin(3);
  DeviceOpen(r, 0, "tiny", {});
  Alloc(r, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 256});
  EXPECT_TRUE(ledger_.InMaps(r, 0));
  EXPECT_EQ(L1Map().Figures().free_bytes, 512u);
  // A reopen with the device's description brings it back into the maps.
  DeviceOpenWithSpaces(q, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024), CbWithinL1()});
  EXPECT_TRUE(ledger_.InMaps(q, 0));
  Alloc(q, {.type = MEMLEDGER_L1, .id = 3, .address = 512, .size = 256});
  EXPECT_EQ(L1Map().Figures().free_bytes, 256u);
  EXPECT_EQ(ledger_.Validate(), std::nullopt);
}

// Buffers live before a device declared its spaces are in the map it gets.
TEST_F(FailureTest, ADeclarationTakesWhatIsLiveAlready) {
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 256});
  const auto q = Begin(2);
  DeviceOpenWithSpaces(q, 0, "tiny", {{MEMLEDGER_L1, 1024}}, {Flat(MEMLEDGER_L1, 0, 1024)});
  EXPECT_EQ(L1Map().Figures().free_bytes, 768u);
}

// An overlap leaves the map stale when one side goes; the next look rebuilds it.
TEST_F(FailureTest, OverlapsDoNotFreeWhatIsStillLive) {
  const auto p = OpenSmallL1();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 512});
  Alloc(p, {.type = MEMLEDGER_L1, .id = 2, .address = 256, .size = 512});
  Free(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0});
  EXPECT_EQ(L1Map().Figures().free_bytes, 512u) << "id 2 still covers [256, 768)";
  EXPECT_FALSE(L1Map().stale());
}

// A storm of one site's failures walks the live buffers once: its first is
// explained, the rest keep their own figures and verdicts.
TEST_F(FailureTest, ASitesFirstFailureIsExplained) {
  const auto p = OpenSmallL1();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 1024, .stack = 3});
  AllocFailed(p, 0, MEMLEDGER_L1, 16, 0, 5);
  AllocFailed(p, 0, MEMLEDGER_L1, 32, 0, 5);
  AllocFailed(p, 0, MEMLEDGER_L1, 16, 0, 6);
  ASSERT_EQ(ledger_.failures().size(), 3u);
  EXPECT_EQ(ledger_.failures()[0].holders.size(), 1u);
  EXPECT_TRUE(ledger_.failures()[1].holders.empty()) << "the same site again";
  EXPECT_EQ(ledger_.failures()[1].size, 32u);
  EXPECT_EQ(ledger_.failures()[1].verdict, FailureVerdict::kExhausted);
  EXPECT_EQ(ledger_.failures()[2].holders.size(), 1u) << "another site";
}

TEST_F(FailureTest, TheFirstFailuresKeepTheirHoldersAndEveryOneIsCounted) {
  const auto p = OpenSmallL1();
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0, .size = 1024});
  for (std::size_t i = 0; i < Ledger::kMaxFailures + 10; ++i) AllocFailed(p, 0, MEMLEDGER_L1, 16);
  EXPECT_EQ(ledger_.failures().size(), Ledger::kMaxFailures);
  EXPECT_EQ(ledger_.process(p).alloc_failures, Ledger::kMaxFailures + 10);
  EXPECT_EQ(ledger_.failure_counts().at({0, MEMLEDGER_L1, FailureVerdict::kExhausted}), Ledger::kMaxFailures + 10);
}

}  // namespace
}  // namespace memledger::ledger_test
