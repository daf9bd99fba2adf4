// ledger_test.cc — the ledger's books: live bytes, counts and peaks per
// process and per device; buffer identity versus address identity; device
// open/close and process end turning live buffers into leaks; pools shared by
// name across processes; tags and leak sites (src/ledger/ledger.h).
// Anomalies have their own file (ledger_anomaly_test.cc).
#include <gtest/gtest.h>

#include <numeric>
#include <string>
#include <vector>

#include "ledger_fixture.h"

namespace memledger {
namespace {

using ledger_test::Buf;
using ledger_test::LedgerTest;

// --- live bytes, counts, peaks ---------------------------------------------

TEST_F(LedgerTest, AllocAndFreeBalance) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Alloc(p, {.id = 2, .address = 0x2000, .size = 200});
  const TypeCounters& mine = Mine(p, 0, MEMLEDGER_DRAM);
  EXPECT_EQ(mine.live_bytes, 300u);
  EXPECT_EQ(mine.live_buffers, 2u);
  EXPECT_EQ(mine.allocs, 2u);
  EXPECT_EQ(ledger_.live_buffer_count(), 2u);
  Free(p, {.id = 1});
  Free(p, {.id = 2});
  EXPECT_EQ(mine.live_bytes, 0u);
  EXPECT_EQ(mine.live_buffers, 0u);
  EXPECT_EQ(mine.frees, 2u);
  EXPECT_EQ(mine.leaked_buffers, 0u);
  EXPECT_EQ(ledger_.live_buffer_count(), 0u);
  EXPECT_EQ(ledger_.events(), 4u);
  EXPECT_EQ(ledger_.process(p).events, 4u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(LedgerTest, PeakIsTheHighestLiveTotal) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Alloc(p, {.id = 2, .address = 0x2000, .size = 200});
  Free(p, {.id = 1});
  Alloc(p, {.id = 3, .address = 0x3000, .size = 50});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).peak_bytes, 300u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 250u);
  Alloc(p, {.id = 4, .address = 0x4000, .size = 100});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).peak_bytes, 350u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).peak_bytes, 350u);
}

TEST_F(LedgerTest, DevicePeakIsOfAllProcessesTogether) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Alloc(q, {.id = 1, .address = 0x1000, .size = 200});  // same id and address: another process
  Free(p, {.id = 1});
  Alloc(p, {.id = 2, .address = 0x1000, .size = 10});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).peak_bytes, 100u);
  EXPECT_EQ(Mine(q, 0, MEMLEDGER_DRAM).peak_bytes, 200u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).peak_bytes, 300u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 210u);
  EXPECT_EQ(AllAnomalies(p) + AllAnomalies(q), 0u) << "processes never overlap each other";
}

TEST_F(LedgerTest, CountersArePerProcessDeviceAndType) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Alloc(p, {.device = 0, .type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 1});
  Alloc(p, {.device = 0, .type = MEMLEDGER_L1, .id = 2, .address = 0x1000, .size = 10});
  Alloc(p, {.device = 2, .type = MEMLEDGER_DRAM, .id = 3, .address = 0x1000, .size = 100});
  Alloc(q, {.device = 0, .type = MEMLEDGER_DRAM, .id = 4, .address = 0x9000, .size = 1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).live_bytes, 10u);
  EXPECT_EQ(Mine(p, 2, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(Mine(p, 1, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(Mine(q, 0, MEMLEDGER_DRAM).live_bytes, 1000u);
  EXPECT_EQ(Mine(q, 2, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 1001u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_buffers, 2u);
  EXPECT_EQ(All(0, MEMLEDGER_L1).live_bytes, 10u);
  EXPECT_EQ(All(2, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(ledger_.process(p).events, 3u);
  EXPECT_EQ(ledger_.process(q).events, 1u);
  EXPECT_EQ(ledger_.events(), 4u);
}

TEST_F(LedgerTest, CircularBuffersAndKernelsAreBookedUnderTheirOwnTypes) {
  const auto p = Begin();
  Hook(p, EventKind::kCbAlloc, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x100, .size = 64});
  Hook(p, EventKind::kKernelLoad, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x100, .size = 32});
  Alloc(p, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x100, .size = 16});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_CB).live_bytes, 64u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_KERNEL).live_bytes, 32u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 16u);
  EXPECT_EQ(AllAnomalies(p), 0u) << "identities of buffers, CBs and kernels are separate name spaces";
  Hook(p, EventKind::kCbFree, {.id = 1});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_CB).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 16u);
  Hook(p, EventKind::kKernelUnload, {.id = 1});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_KERNEL).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_KERNEL).frees, 1u);
  Hook(p, EventKind::kCbFree, {.id = 1});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 16u);
}

// --- identity ---------------------------------------------------------------

TEST_F(LedgerTest, BufferIdIsTheIdentityNotTheAddress) {
  const auto p = Begin();
  Alloc(p, {.id = 42, .address = 0x1000, .size = 100});
  Free(p, {.id = 42, .address = 0xdead});  // the free hook's address is not used
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(LedgerTest, WithoutIdTheAddressIsTheIdentity) {
  const auto p = Begin();
  Alloc(p, {.address = 0x1000, .size = 100});
  Alloc(p, {.address = 0x2000, .size = 100});
  Free(p, {.address = 0x3000});
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 1u);
  Free(p, {.address = 0x2000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(ledger_.live_buffer_count(), 1u);
  Free(p, {.address = 0x1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
}

// The race memledger was built for: thread A frees buffer 1 in the allocator,
// thread B gets the same address as buffer 2 and its alloc hook runs, and only
// then A's free hook runs. With identities the books stay exact.
TEST_F(LedgerTest, FreeAfterTheAddressWasReusedIsExactWithIdentities) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 0x100});
  Alloc(p, {.id = 2, .address = 0x1000, .size = 0x80});
  Free(p, {.id = 1, .address = 0x1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0x80u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_buffers, 1u);
  Free(p, {.id = 2, .address = 0x1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).frees, 2u);
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 0u);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 0u);
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 0u);
  EXPECT_EQ(Anomalies(p, Anomaly::kOverlap), 0u);
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 0u) << "no false leak";
}

TEST_F(LedgerTest, SameIdOnAnotherDeviceIsAnotherBuffer) {
  const auto p = Begin();
  Alloc(p, {.device = 0, .id = 1, .address = 0x1000, .size = 10});
  Alloc(p, {.device = 1, .id = 1, .address = 0x1000, .size = 20});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 0u);
  Free(p, {.device = 1, .id = 1});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 10u);
  EXPECT_EQ(Mine(p, 1, MEMLEDGER_DRAM).live_bytes, 0u);
}

// Each memory type is its own address space (DRAM and L1 on Tenstorrent both
// start at 0): an address is an identity only within its type.
TEST_F(LedgerTest, AnAddressIsAnIdentityOnlyWithinItsMemoryType) {
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_DRAM, .address = 0x1000, .size = 4096});
  Alloc(p, {.type = MEMLEDGER_L1, .address = 0x1000, .size = 64});
  EXPECT_EQ(AllAnomalies(p), 0u) << "no double_alloc: two buffers";
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 4096u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).live_bytes, 64u);
  EXPECT_EQ(ledger_.live_buffer_count(), 2u);

  Free(p, {.type = MEMLEDGER_L1, .address = 0x1000});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 4096u) << "the L1 free frees only the L1 buffer";
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(ledger_.process(p).leaked_bytes, 4096u) << "the DRAM buffer leaked";
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).leaked_bytes, 4096u);
  EXPECT_EQ(All(0, MEMLEDGER_L1).leaked_bytes, 0u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(LedgerTest, SameIdInAnotherMemoryTypeIsAnotherBuffer) {
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_DRAM, .id = 1, .address = 0x1000, .size = 10});
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0x1000, .size = 20});
  EXPECT_EQ(AllAnomalies(p), 0u);
  Free(p, {.type = MEMLEDGER_DRAM, .id = 1});
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).live_bytes, 20u);
}

// A free whose type holds no such buffer frees its identity in another type:
// a legacy tracker's FREE leaves its buffer type 0 (DRAM) whatever it frees.
TEST_F(LedgerTest, AFreeOfAnotherTypeFreesItsIdentityWhenItsOwnTypeHasNone) {
  const auto p = Begin();
  Alloc(p, {.type = MEMLEDGER_L1, .address = 0x2000, .size = 64});
  Alloc(p, {.type = MEMLEDGER_TRACE, .id = 7, .address = 0x9000, .size = 32});
  Free(p, {.type = MEMLEDGER_DRAM, .address = 0x2000});
  Free(p, {.type = MEMLEDGER_DRAM, .id = 7});
  EXPECT_EQ(AllAnomalies(p), 0u);
  EXPECT_EQ(ledger_.live_buffer_count(), 0u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_L1).frees, 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_TRACE).frees, 1u);
  Free(p, {.type = MEMLEDGER_DRAM, .address = 0x2000});
  Free(p, {.type = MEMLEDGER_L1, .address = 0x2000});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleFree), 2u) << "freeing it again, by either type, is a double free";
  EXPECT_EQ(OtherAnomalies(p, Anomaly::kDoubleFree), 0u);
}

// --- device open / close ---------------------------------------------------

TEST_F(LedgerTest, DeviceOpenRecordsNameAndCapacities) {
  const auto p = Begin();
  DeviceOpen(p, 3, "card 3", {{MEMLEDGER_DRAM, 12ULL << 30}, {MEMLEDGER_L1, 1 << 20}, {MEMLEDGER_FIRST_POOL, 99}});
  ASSERT_GT(ledger_.devices().size(), 3u);
  const DeviceBooks& device = ledger_.devices()[3];
  EXPECT_TRUE(device.seen);
  EXPECT_TRUE(device.open);
  EXPECT_EQ(device.name, "card 3");
  EXPECT_EQ(device.capacity[MEMLEDGER_DRAM], 12ULL << 30);
  EXPECT_EQ(device.capacity[MEMLEDGER_L1], 1u << 20);
  for (int t = kBuiltinTypeCount; t < MEMLEDGER_MAX_TYPES; ++t) {
    EXPECT_EQ(device.capacity[t], 0u) << "an unregistered pool's capacity has no ledger type (" << t << ")";
  }
  EXPECT_FALSE(ledger_.devices()[0].seen);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(LedgerTest, DeviceCloseTurnsThatDevicesLiveBuffersIntoLeaks) {
  const auto p = Begin();
  DeviceOpen(p, 0, "d0");
  DeviceOpen(p, 1, "d1");
  Alloc(p, {.device = 0, .id = 1, .address = 0x1000, .size = 100});
  Alloc(p, {.device = 0, .type = MEMLEDGER_L1, .id = 2, .address = 0x1000, .size = 10});
  Alloc(p, {.device = 0, .id = 3, .address = 0x2000, .size = 50});
  Free(p, {.device = 0, .id = 3});
  Alloc(p, {.device = 1, .id = 4, .address = 0x1000, .size = 1000});
  DeviceClose(p, 0);

  EXPECT_FALSE(ledger_.devices()[0].open);
  EXPECT_TRUE(ledger_.devices()[1].open);
  const TypeCounters& dram = All(0, MEMLEDGER_DRAM);
  EXPECT_EQ(dram.live_bytes, 0u) << "the memory goes back to the device";
  EXPECT_EQ(dram.live_buffers, 0u);
  EXPECT_EQ(dram.leaked_buffers, 1u);
  EXPECT_EQ(dram.leaked_bytes, 100u);
  EXPECT_EQ(dram.frees, 1u);
  EXPECT_EQ(dram.peak_bytes, 150u) << "the peak stays";
  EXPECT_EQ(All(0, MEMLEDGER_L1).leaked_bytes, 10u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).leaked_bytes, 100u);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 2u);
  EXPECT_EQ(ledger_.process(p).leaked_bytes, 110u);
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).live_bytes, 1000u) << "another device is untouched";
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).leaked_buffers, 0u);
  EXPECT_EQ(ledger_.live_buffer_count(), 1u);
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kRunning);
}

TEST_F(LedgerTest, DeviceCloseLeaksOnlyTheClosingProcesssBuffers) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Alloc(q, {.id = 1, .address = 0x1000, .size = 200});
  DeviceClose(q, 0);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(Mine(q, 0, MEMLEDGER_DRAM).leaked_bytes, 200u);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 100u);
}

TEST_F(LedgerTest, ReopeningAnOpenDeviceClosesItFirst) {
  const auto p = Begin();
  DeviceOpen(p, 0, "before", {{MEMLEDGER_DRAM, 1000}});
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  DeviceOpen(p, 0, "after", {{MEMLEDGER_DRAM, 2000}});
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).leaked_bytes, 100u);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 1u);
  EXPECT_TRUE(ledger_.devices()[0].open);
  EXPECT_EQ(ledger_.devices()[0].name, "after");
  EXPECT_EQ(ledger_.devices()[0].capacity[MEMLEDGER_DRAM], 2000u);
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  EXPECT_EQ(Anomalies(p, Anomaly::kDoubleAlloc), 0u) << "the old buffer is gone from the live table";
}

TEST_F(LedgerTest, OpeningADeviceAnotherProcessHasOpenLeaksNothingOfTheFirst) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "shared");
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  DeviceOpen(q, 0, "shared");
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 0u);
}

// "Reopening an open device closes it first" (memledger.h) is a statement
// about the reopening process: another process closing the same device in
// between must not change it.
TEST_F(LedgerTest, ReopenClosesTheDeviceForTheReopeningProcessWhateverOthersDid) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "shared");
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  DeviceOpen(q, 0, "shared");
  DeviceClose(q, 0);
  DeviceOpen(p, 0, "shared");  // p reopens its open device
  EXPECT_EQ(ledger_.process(p).leaked_buffers, 1u);
  EXPECT_EQ(Mine(p, 0, MEMLEDGER_DRAM).live_bytes, 0u);
}

// A process cannot rename or resize a device another process has open: the
// first description stays and the second opener is told (device_conflict).
TEST_F(LedgerTest, ADeviceKeepsItsFirstDescriptionWhileOthersHoldIt) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "n300", {{MEMLEDGER_DRAM, 12ULL << 30}});
  DeviceOpen(q, 0, "evil", {{MEMLEDGER_DRAM, 1}});
  EXPECT_EQ(ledger_.devices()[0].name, "n300");
  EXPECT_EQ(ledger_.devices()[0].capacity[MEMLEDGER_DRAM], 12ULL << 30);
  EXPECT_EQ(Anomalies(q, Anomaly::kDeviceConflict), 1u);
  EXPECT_EQ(AllAnomalies(p), 0u);
  // The same description, or one that only adds what was unknown, is no conflict.
  const auto r = Begin(3);
  DeviceOpen(r, 0, "n300", {{MEMLEDGER_DRAM, 12ULL << 30}, {MEMLEDGER_L1, 1 << 20}});
  EXPECT_EQ(AllAnomalies(r), 0u);
  EXPECT_EQ(ledger_.devices()[0].capacity[MEMLEDGER_L1], 1u << 20);
  // Once nobody holds it, the next opener describes it anew.
  DeviceClose(p, 0);
  DeviceClose(r, 0);
  ledger_.EndProcess(q, ProcessState::kExited, 0);
  EXPECT_FALSE(ledger_.devices()[0].open);
  const auto s = Begin(4);
  DeviceOpen(s, 0, "wormhole", {{MEMLEDGER_DRAM, 1ULL << 30}});
  EXPECT_EQ(ledger_.devices()[0].name, "wormhole");
  EXPECT_EQ(ledger_.devices()[0].capacity[MEMLEDGER_DRAM], 1ULL << 30);
  EXPECT_EQ(ledger_.devices()[0].capacity[MEMLEDGER_L1], 0u);
  EXPECT_EQ(AllAnomalies(s), 0u);
}

// A device close, a reopen and a process end walk only the closing process's
// own buffers: 20,000 closes beside another process's 300,000 live buffers
// (before, each close walked the whole live table: minutes of one thread).
TEST(LedgerScale, DeviceClosesWalkOnlyTheClosingProcessesBuffers) {
  Ledger ledger;
  const ProcessIndex holder = ledger.BeginProcess(1, "holder");
  const ProcessIndex closer = ledger.BeginProcess(2, "closer");
  std::uint64_t seq[2] = {0, 0};
  auto apply = [&](ProcessIndex p, EventKind kind, std::uint16_t device, std::uint64_t id) {
    Event e{};
    e.seq = ++seq[static_cast<std::uint32_t>(p)];
    e.kind = static_cast<std::uint8_t>(kind);
    e.device = device;
    e.type = MEMLEDGER_DRAM;
    e.buffer_id = id;
    e.address = id * 0x1000;
    e.size = 0x1000;
    ledger.Apply(p, Record{e, {}});
  };
  for (std::uint64_t id = 1; id <= 300'000; ++id) apply(holder, EventKind::kAlloc, 0, id);
  for (std::uint64_t i = 1; i <= 20'000; ++i) {
    apply(closer, EventKind::kAlloc, 0, i);
    apply(closer, EventKind::kDeviceClose, 0, 0);
  }
  EXPECT_EQ(ledger.process(closer).leaked_buffers, 20'000u);
  EXPECT_EQ(ledger.process(holder).leaked_buffers, 0u);
  EXPECT_EQ(ledger.live_buffer_count(), 300'000u);
  ledger.EndProcess(closer, ProcessState::kExited, 0);
  EXPECT_EQ(ledger.live_buffer_count(), 300'000u);
  EXPECT_EQ(ledger.Validate(), std::nullopt);
}

// --- process end ----------------------------------------------------------------

TEST_F(LedgerTest, EndProcessLeaksEverythingOnEveryDevice) {
  const auto p = Begin(7, "trainer");
  const auto q = Begin(8, "other");
  Alloc(p, {.device = 0, .id = 1, .address = 0x1000, .size = 100});
  Alloc(p, {.device = 5, .type = MEMLEDGER_L1, .id = 2, .address = 0x1000, .size = 20});
  Hook(p, EventKind::kCbAlloc, {.id = 3, .address = 0x40, .size = 3});
  Alloc(q, {.device = 0, .id = 1, .address = 0x1000, .size = 1000});
  ledger_.EndProcess(p, ProcessState::kKilled, -9);

  const ProcessBooks& books = ledger_.process(p);
  EXPECT_EQ(books.state, ProcessState::kKilled);
  EXPECT_EQ(books.exit_status, -9);
  EXPECT_EQ(books.leaked_buffers, 3u);
  EXPECT_EQ(books.leaked_bytes, 123u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 1000u);
  EXPECT_EQ(All(5, MEMLEDGER_L1).live_bytes, 0u);
  EXPECT_EQ(All(5, MEMLEDGER_L1).leaked_bytes, 20u);
  EXPECT_EQ(All(0, MEMLEDGER_CB).leaked_bytes, 3u);
  EXPECT_EQ(ledger_.process(q).state, ProcessState::kRunning);
  EXPECT_EQ(ledger_.live_buffer_count(), 1u);

  ledger_.EndProcess(p, ProcessState::kExited, 0);  // already ended: no change
  EXPECT_EQ(books.state, ProcessState::kKilled);
  EXPECT_EQ(books.exit_status, -9);
  EXPECT_EQ(books.leaked_buffers, 3u);
}

TEST_F(LedgerTest, ProcessEndRecordEndsTheProcessWithItsCounts) {
  const auto p = Begin();
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Event end{};
  end.kind = static_cast<std::uint8_t>(EventKind::kProcessEnd);
  end.type = static_cast<std::uint8_t>(ProcessState::kKilled);
  end.buffer_id = static_cast<std::uint64_t>(std::int64_t{-6});  // exit status
  end.size = 12;    // dropped by a full ring
  end.address = 3;  // lost slots
  Apply(p, end);
  const ProcessBooks& books = ledger_.process(p);
  EXPECT_EQ(books.state, ProcessState::kKilled);
  EXPECT_EQ(books.exit_status, -6);
  EXPECT_EQ(books.dropped_events, 12u);
  EXPECT_EQ(books.lost_slots, 3u);
  EXPECT_EQ(books.leaked_bytes, 100u);
  ledger_.CountLost(p, 4);
  EXPECT_EQ(books.lost_slots, 7u);
}

TEST_F(LedgerTest, ProcessEndRecordOfACleanExit) {
  const auto p = Begin();
  Event end{};
  end.kind = static_cast<std::uint8_t>(EventKind::kProcessEnd);
  end.type = static_cast<std::uint8_t>(ProcessState::kExited);
  Apply(p, end);
  EXPECT_EQ(ledger_.process(p).state, ProcessState::kExited);
  EXPECT_EQ(ledger_.process(p).exit_status, 0);
}

TEST_F(LedgerTest, ProcessRecordNamesTheProcess) {
  const auto p = Begin(0, "");
  Event e{};
  e.kind = static_cast<std::uint8_t>(EventKind::kProcess);
  e.buffer_id = 4242;
  Apply(p, e, "python3");
  EXPECT_EQ(ledger_.process(p).pid, 4242u);
  EXPECT_EQ(ledger_.process(p).comm, "python3");
  EXPECT_EQ(ProcessStateName(ledger_.process(p).state), "running");
  EXPECT_EQ(ProcessStateName(ProcessState::kExited), "exited");
  EXPECT_EQ(ProcessStateName(ProcessState::kKilled), "killed");
}

// --- pools ------------------------------------------------------------------------

TEST_F(LedgerTest, PoolsWithOneNameShareOneTypeAcrossProcesses) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Pool(p, 16, "kv_cache");
  Pool(q, 16, "activations");
  Pool(q, 17, "kv_cache");
  ASSERT_EQ(ledger_.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + 2));
  const auto kv = static_cast<std::uint8_t>(kBuiltinTypeCount);
  const auto act = static_cast<std::uint8_t>(kBuiltinTypeCount + 1);
  EXPECT_EQ(ledger_.type_name(kv), "kv_cache");
  EXPECT_EQ(ledger_.type_name(act), "activations");
  EXPECT_EQ(ledger_.type_name(MEMLEDGER_DRAM), "DRAM");

  Alloc(p, {.type = 16, .id = 1, .address = 0x1000, .size = 100});
  Alloc(q, {.type = 17, .id = 1, .address = 0x1000, .size = 200});
  Alloc(q, {.type = 16, .id = 2, .address = 0x1000, .size = 5});
  EXPECT_EQ(All(0, kv).live_bytes, 300u);
  EXPECT_EQ(All(0, act).live_bytes, 5u);
  EXPECT_EQ(Mine(p, 0, kv).live_bytes, 100u);
  EXPECT_EQ(Mine(q, 0, kv).live_bytes, 200u);
  EXPECT_EQ(AllAnomalies(p) + AllAnomalies(q), 0u);
}

TEST_F(LedgerTest, DeviceCapacityOfARegisteredPoolIsBookedUnderItsType) {
  const auto p = Begin();
  Pool(p, 20, "scratch");
  DeviceOpen(p, 0, "d", {{20, 4096}});
  EXPECT_EQ(ledger_.devices()[0].capacity[kBuiltinTypeCount], 4096u);
}

// A server sees many processes, each with up to 48 pools of its own: the
// ledger-wide table of type names grows past 64, and every pool is booked
// under its own name.
TEST_F(LedgerTest, PoolNamesPastSixtyFourAcrossProcessesEachKeepTheirOwnType) {
  constexpr int kProcesses = 3;
  constexpr int kPoolsPerProcess = MEMLEDGER_MAX_TYPES - MEMLEDGER_FIRST_POOL;  // 48
  std::vector<ProcessIndex> processes;
  for (int k = 0; k < kProcesses; ++k) {
    const auto p = Begin(100 + k);
    processes.push_back(p);
    for (int i = 0; i < kPoolsPerProcess; ++i) {
      const auto local = static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + i);
      Pool(p, local, "pool" + std::to_string(k) + "." + std::to_string(i));
      Alloc(p, {.type = local, .id = 1 + static_cast<std::uint64_t>(i), .address = 0x1000, .size = 1000u * k + i + 1});
    }
  }
  ASSERT_EQ(ledger_.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + kProcesses * kPoolsPerProcess));
  ASSERT_GT(ledger_.type_count(), static_cast<std::size_t>(MEMLEDGER_MAX_TYPES));
  for (int k = 0; k < kProcesses; ++k) {
    const ProcessIndex p = processes[k];
    EXPECT_EQ(ledger_.process(p).pools_merged, 0u);
    EXPECT_EQ(AllAnomalies(p), 0u);
    for (int i = 0; i < kPoolsPerProcess; ++i) {
      const auto local = static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + i);
      const std::string name = "pool" + std::to_string(k) + "." + std::to_string(i);
      ASSERT_EQ(ledger_.local_type_name(p, local), name);
      const std::uint16_t type = ledger_.process(p).type_map[local];
      EXPECT_EQ(ledger_.type_name(type), name);
      EXPECT_EQ(All(0, type).live_bytes, 1000u * k + i + 1) << name;
      EXPECT_EQ(Mine(p, 0, type).live_buffers, 1u) << name;
    }
  }
  ledger_.EndProcess(processes.back(), ProcessState::kExited, 0);
  const std::uint16_t last = ledger_.process(processes.back()).type_map[MEMLEDGER_MAX_TYPES - 1];
  EXPECT_EQ(All(0, last).leaked_bytes, 1000u * (kProcesses - 1) + kPoolsPerProcess) << "a leak under its own pool";
}

// The table is bounded (a hostile process tree must not grow it without
// end): past Ledger::kMaxTypeNames names, later pools are booked together
// under one type, never refused: their buffers and leaks stay in the books,
// and the process is told (pools_merged).
TEST_F(LedgerTest, PoolsPastTheTypeTableAreBookedTogetherNotLost) {
  constexpr int kPoolsPerProcess = MEMLEDGER_MAX_TYPES - MEMLEDGER_FIRST_POOL;  // 48
  const std::size_t room = Ledger::kMaxTypeNames - 1 - kBuiltinTypeCount;      // the last is "(other pools)"
  ProcessIndex p{};
  int used = kPoolsPerProcess;  // pool ids p has registered
  for (std::size_t n = 0; n < room; ++n, ++used) {
    if (used == kPoolsPerProcess) {
      p = Begin(static_cast<std::uint32_t>(1000 + n));
      used = 0;
    }
    Pool(p, static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + used), "p" + std::to_string(n));
  }
  ASSERT_LE(used + 3, kPoolsPerProcess);
  for (int i = 0; i < 3; ++i) Pool(p, static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + used + i), "extra" + std::to_string(i));
  EXPECT_EQ(ledger_.type_count(), Ledger::kMaxTypeNames);
  EXPECT_EQ(ledger_.type_name(Ledger::kMaxTypeNames - 1), kOtherPoolsName);
  for (const ProcessBooks& books : ledger_.processes()) {
    EXPECT_EQ(std::accumulate(books.anomalies.begin(), books.anomalies.end(), std::uint64_t{0}), 0u);
  }
  EXPECT_EQ(ledger_.process(p).pools_merged, 3u);
  EXPECT_EQ(ledger_.process(ProcessIndex{0}).pools_merged, 0u);
  const auto merged = static_cast<std::uint8_t>(MEMLEDGER_FIRST_POOL + used + 1);
  EXPECT_EQ(ledger_.local_type_name(p, merged), kOtherPoolsName);
  Pool(p, merged, "extra1");  // named again (a handback): nothing changes
  EXPECT_EQ(ledger_.process(p).pools_merged, 3u);
  EXPECT_EQ(AllAnomalies(p), 0u);
  Alloc(p, {.type = merged, .id = 1, .address = 0x1000, .size = 100});
  EXPECT_EQ(All(0, Ledger::kMaxTypeNames - 1).live_bytes, 100u);
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  EXPECT_EQ(ledger_.process(p).leaked_bytes, 100u) << "the merged pool's leak is in the books";
  EXPECT_EQ(AllAnomalies(p), 0u);
  const auto late = Begin(2);
  Pool(late, 40, "p3");  // an existing name still maps to its own type
  EXPECT_EQ(ledger_.local_type_name(late, 40), "p3");
  EXPECT_EQ(ledger_.process(late).pools_merged, 0u);
}

// A pool id keeps the type of its first name: its live buffers are booked there.
TEST_F(LedgerTest, APoolIdKeepsItsFirstName) {
  const auto p = Begin();
  Pool(p, 16, "kv_cache");
  Alloc(p, {.type = 16, .id = 1, .address = 0x1000, .size = 100});
  Pool(p, 16, "kv_cache");  // the same again: nothing changes
  EXPECT_EQ(AllAnomalies(p), 0u);
  Pool(p, 16, "activations");
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  EXPECT_EQ(ledger_.local_type_name(p, 16), "kv_cache");
  Free(p, {.type = 16, .id = 1});
  EXPECT_EQ(Mine(p, 0, kBuiltinTypeCount).frees, 1u);
  EXPECT_EQ(Mine(p, 0, kBuiltinTypeCount).live_bytes, 0u);
}

// --- tags, leak sites, marks --------------------------------------------------------

TEST_F(LedgerTest, LeakSitesCarryTagsStacksDevicesAndProcesses) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  Tag(p, 1, "weights");
  Tag(q, 1, "kv_cache");  // the same tag id means another name in another process
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100, .tag = 1, .stack = 5});
  Alloc(p, {.id = 2, .address = 0x2000, .size = 50, .tag = 1, .stack = 5});
  Alloc(p, {.id = 3, .address = 0x3000, .size = 7, .tag = 1, .stack = 6});
  Alloc(p, {.id = 4, .address = 0x4000, .size = 1});
  Alloc(q, {.device = 2, .id = 1, .address = 0x1000, .size = 1000, .tag = 1});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  ledger_.EndProcess(q, ProcessState::kExited, 0);

  const auto& sites = ledger_.leak_sites();
  ASSERT_EQ(sites.size(), 4u);
  const auto pi = static_cast<std::uint32_t>(p);
  const auto qi = static_cast<std::uint32_t>(q);
  const auto site = [&](LeakSiteKey key) {
    const auto it = sites.find(key);
    return it == sites.end() ? LeakSiteTotals{} : it->second;
  };
  EXPECT_EQ(site({0, MEMLEDGER_DRAM, 1, 5, pi}).buffers, 2u);
  EXPECT_EQ(site({0, MEMLEDGER_DRAM, 1, 5, pi}).bytes, 150u);
  EXPECT_EQ(site({0, MEMLEDGER_DRAM, 1, 6, pi}).bytes, 7u);
  EXPECT_EQ(site({0, MEMLEDGER_DRAM, 0, 0, pi}).bytes, 1u);
  EXPECT_EQ(site({2, MEMLEDGER_DRAM, 1, 0, qi}).bytes, 1000u);
  EXPECT_EQ(ledger_.tag_name(pi, 1), "weights");
  EXPECT_EQ(ledger_.tag_name(qi, 1), "kv_cache");
  EXPECT_EQ(ledger_.tag_name(pi, 0), "");
  EXPECT_EQ(ledger_.tag_name(pi, 2), "");
  EXPECT_EQ(ledger_.tag_name(99, 1), "");
}

TEST_F(LedgerTest, TagAndMarkNamesAreBounded) {
  const auto p = Begin();
  Tag(p, 3, std::string(1000, 't'));
  Event mark{};
  mark.kind = static_cast<std::uint8_t>(EventKind::kMark);
  mark.time_ns = 123;
  Apply(p, mark, std::string(1000, 'm'));
  EXPECT_EQ(ledger_.tag_name(static_cast<std::uint32_t>(p), 3), std::string(256, 't'));
  ASSERT_EQ(ledger_.process(p).marks.size(), 1u);
  EXPECT_EQ(ledger_.process(p).marks[0].first, 123u);
  EXPECT_EQ(ledger_.process(p).marks[0].second, std::string(256, 'm'));
}

}  // namespace
}  // namespace memledger
