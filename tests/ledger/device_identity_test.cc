// device_identity_test.cc — devices are physical things shared by processes
// (issue 12): a process's device number stands for the device of the uid it
// opened it with, or for the device of that number when it gave none.
#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

// Three processes, each with its own "device 0" (CUDA_VISIBLE_DEVICES, three
// simulators): three devices, each with its own description and books.
TEST_F(LedgerTest, OneNumberWithThreeUidsIsThreeDevices) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  const auto r = Begin(3);
  DeviceOpen(p, 0, "sim-wormhole_b0", {{MEMLEDGER_DRAM, 12ULL << 30}, {MEMLEDGER_L1, 1464ULL << 10}}, "chip-a");
  DeviceOpen(q, 0, "sim-tiny_l1", {{MEMLEDGER_L1, 120ULL << 10}}, "chip-b");
  DeviceOpen(r, 0, "sim-tiny_l1", {{MEMLEDGER_L1, 120ULL << 10}}, "chip-c");
  Alloc(p, {.type = MEMLEDGER_L1, .id = 1, .address = 0x1000, .size = 500 << 10});
  Alloc(q, {.type = MEMLEDGER_L1, .id = 1, .address = 0x1000, .size = 100 << 10});
  Alloc(r, {.type = MEMLEDGER_L1, .id = 1, .address = 0x1000, .size = 60 << 10});

  ASSERT_EQ(ledger_.devices().size(), 3u);
  EXPECT_EQ(ledger_.DeviceOf(p, 0), 0u) << "the first keeps its own number";
  EXPECT_EQ(ledger_.DeviceOf(q, 0), 1u);
  EXPECT_EQ(ledger_.DeviceOf(r, 0), 2u);
  const std::string names[] = {"sim-wormhole_b0", "sim-tiny_l1", "sim-tiny_l1"};
  const std::string uids[] = {"chip-a", "chip-b", "chip-c"};
  const std::uint64_t l1[] = {1464ULL << 10, 120ULL << 10, 120ULL << 10};
  const std::uint64_t used[] = {500 << 10, 100 << 10, 60 << 10};
  for (std::uint16_t d = 0; d < 3; ++d) {
    const DeviceBooks& device = ledger_.devices()[d];
    EXPECT_TRUE(device.seen && device.open) << d;
    EXPECT_EQ(device.openers, 1u) << d;
    EXPECT_EQ(device.name, names[d]) << d;
    EXPECT_EQ(device.uid, uids[d]) << d;
    EXPECT_EQ(device.capacity[MEMLEDGER_L1], l1[d]) << "each its own capacity";
    EXPECT_EQ(device.types[MEMLEDGER_L1].live_bytes, used[d]) << "each its own use, never over its capacity";
    EXPECT_EQ(device.conflicts, 0u);
  }
  EXPECT_EQ(Mine(q, 1, MEMLEDGER_L1).live_bytes, 100u << 10) << "a process's books are kept by ledger-wide device";
  for (const auto process : {p, q, r}) EXPECT_EQ(AllAnomalies(process), 0u);
}

// One uid under two numbers (device 3 here, device 0 there): one device.
TEST_F(LedgerTest, OneUidUnderTwoNumbersIsOneDevice) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 3, "H100", {{MEMLEDGER_DRAM, 80ULL << 30}}, "GPU-1234");
  DeviceOpen(q, 0, "H100", {{MEMLEDGER_DRAM, 80ULL << 30}}, "GPU-1234");
  Alloc(p, {.device = 3, .id = 1, .address = 0x1000, .size = 100});
  Alloc(q, {.device = 0, .id = 1, .address = 0x1000, .size = 200});
  EXPECT_EQ(ledger_.DeviceOf(p, 3), 3u);
  EXPECT_EQ(ledger_.DeviceOf(q, 0), 3u);
  EXPECT_FALSE(ledger_.devices()[0].seen) << "no device was made for q's number";
  const DeviceBooks& device = ledger_.devices()[3];
  EXPECT_EQ(device.openers, 2u);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].live_bytes, 300u);
  EXPECT_EQ(Mine(p, 3, MEMLEDGER_DRAM).live_bytes, 100u);
  EXPECT_EQ(Mine(q, 3, MEMLEDGER_DRAM).live_bytes, 200u);
  // Frees match by the process's own number; closes give the device back.
  Free(q, {.device = 0, .id = 1});
  DeviceClose(p, 3);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].live_bytes, 0u);
  EXPECT_EQ(device.types[MEMLEDGER_DRAM].leaked_bytes, 100u);
  EXPECT_TRUE(device.open) << "q still holds it";
  DeviceClose(q, 0);
  EXPECT_FALSE(device.open);
  EXPECT_EQ(AllAnomalies(p) + AllAnomalies(q), 0u);
}

// Without uids, devices are keyed by number as before: a different
// description of an open device is flagged, and never mixed in.
TEST_F(LedgerTest, WithoutUidsADifferentDescriptionIsFlaggedAndNotMixed) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "sim-wormhole_b0", {{MEMLEDGER_DRAM, 12ULL << 30}, {MEMLEDGER_L1, 1464ULL << 10}});
  DeviceOpen(q, 0, "sim-tiny_l1", {{MEMLEDGER_L1, 120ULL << 10}, {MEMLEDGER_TRACE, 4096}});
  ASSERT_EQ(ledger_.devices().size(), 1u);
  const DeviceBooks& device = ledger_.devices()[0];
  EXPECT_EQ(device.name, "sim-wormhole_b0");
  EXPECT_EQ(device.capacity[MEMLEDGER_L1], 1464ULL << 10);
  EXPECT_EQ(device.capacity[MEMLEDGER_TRACE], 0u) << "nothing of a conflicting description is adopted";
  EXPECT_EQ(device.conflicts, 1u) << "the device says it was described otherwise";
  EXPECT_EQ(Anomalies(q, Anomaly::kDeviceConflict), 1u);
  EXPECT_TRUE(device.uid.empty());
}

// A uid'd device and a device keyed by the same number are different devices.
TEST_F(LedgerTest, ADeviceKeyedByNumberAndOneByUidAreTwo) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "old library");
  DeviceOpen(q, 0, "new library", {}, "GPU-1");
  Alloc(p, {.id = 1, .address = 0x1000, .size = 10});
  Alloc(q, {.id = 1, .address = 0x1000, .size = 20});
  EXPECT_EQ(ledger_.DeviceOf(p, 0), 0u);
  EXPECT_EQ(ledger_.DeviceOf(q, 0), 1u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 10u);
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).live_bytes, 20u);
  // A third process's number 1, without a uid, does not take the uid'd device's id.
  const auto r = Begin(3);
  Alloc(r, {.device = 1, .id = 1, .address = 0x1000, .size = 30});
  EXPECT_EQ(ledger_.DeviceOf(r, 1), 2u);
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).live_bytes, 20u);
  EXPECT_EQ(All(2, MEMLEDGER_DRAM).live_bytes, 30u);
}

// Leaks are booked on the ledger-wide device.
TEST_F(LedgerTest, LeakSitesNameTheLedgerWideDevice) {
  const auto p = Begin(1);
  const auto q = Begin(2);
  DeviceOpen(p, 0, "a", {}, "chip-a");
  DeviceOpen(q, 0, "b", {}, "chip-b");
  Alloc(q, {.id = 1, .address = 0x1000, .size = 64});
  ledger_.EndProcess(q, ProcessState::kExited, 0);
  ASSERT_EQ(ledger_.leak_sites().size(), 1u);
  EXPECT_EQ(ledger_.leak_sites().begin()->first.device, 1u);
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).leaked_bytes, 64u);
  EXPECT_FALSE(ledger_.devices()[1].open);
}

// A number closed and opened again as another device books there from then on.
TEST_F(LedgerTest, ANumberReopenedWithAnotherUidMovesToThatDevice) {
  const auto p = Begin(1);
  DeviceOpen(p, 0, "first", {{MEMLEDGER_DRAM, 1000}}, "chip-a");
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});
  Free(p, {.id = 1});
  DeviceClose(p, 0);
  DeviceOpen(p, 0, "second", {{MEMLEDGER_DRAM, 2000}}, "chip-b");
  Alloc(p, {.id = 2, .address = 0x1000, .size = 50});
  EXPECT_EQ(ledger_.DeviceOf(p, 0), 1u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).allocs, 1u);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 0u);
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).live_bytes, 50u);
  EXPECT_FALSE(ledger_.devices()[0].open);
  EXPECT_TRUE(ledger_.devices()[1].open);
  Free(p, {.id = 2});
  EXPECT_EQ(All(1, MEMLEDGER_DRAM).frees, 1u);
  // Opening the first again without closing (a reopen closes first) moves it back.
  DeviceOpen(p, 0, "first", {{MEMLEDGER_DRAM, 1000}}, "chip-a");
  EXPECT_EQ(ledger_.DeviceOf(p, 0), 0u);
  EXPECT_FALSE(ledger_.devices()[1].open);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

// Buffers booked on a number before an open named another device stay on
// the device they were booked on; the open is a conflict, not a move.
TEST_F(LedgerTest, AnOpenNamingAnotherDeviceUnderLiveBuffersIsAConflict) {
  const auto p = Begin(1);
  Alloc(p, {.id = 1, .address = 0x1000, .size = 100});  // before any open: the device of number 0
  DeviceOpen(p, 0, "named late", {}, "chip-a");
  EXPECT_EQ(Anomalies(p, Anomaly::kDeviceConflict), 1u);
  EXPECT_EQ(ledger_.DeviceOf(p, 0), 0u);
  EXPECT_EQ(ledger_.devices()[0].conflicts, 1u);
  Alloc(p, {.id = 2, .address = 0x2000, .size = 10});
  Free(p, {.id = 1});
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).live_bytes, 10u);
  DeviceClose(p, 0);
  EXPECT_FALSE(ledger_.devices()[0].open);
  EXPECT_EQ(All(0, MEMLEDGER_DRAM).leaked_bytes, 10u);
}

// A process alone keeps its own numbers, uids or not: its exit report
// speaks of the devices it opened.
TEST_F(LedgerTest, AProcessAloneKeepsItsOwnNumbers) {
  const auto p = Begin(1);
  DeviceOpen(p, 1, "one", {}, "chip-1");
  DeviceOpen(p, 0, "zero", {}, "chip-0");
  DeviceOpen(p, 2, "two");
  for (std::uint16_t d = 0; d < 3; ++d) EXPECT_EQ(ledger_.DeviceOf(p, d), d);
  EXPECT_EQ(ledger_.DeviceOf(p, 3), kNoDevice);
}

// A peer inventing uid after uid cannot grow the table without bound.
TEST_F(LedgerTest, NewUidsPastTheTableAreBookedByNumber) {
  const auto p = Begin(1);
  Event open{};
  open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
  for (std::size_t i = 0; i < kMaxLedgerDevices; ++i) {  // unchecked: Validate after each would take minutes
    const std::string payload = EncodeDeviceDescription({"d", {}, "chip-" + std::to_string(i)});
    open.seq = i + 1;
    open.payload_bytes = static_cast<std::uint32_t>(payload.size());
    ledger_.Apply(p, Record{open, payload});
  }
  SkipSeq(p, kMaxLedgerDevices);
  EXPECT_EQ(ledger_.devices().size(), kMaxLedgerDevices);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 0u);
  DeviceOpen(p, 0, "d", {}, "one too many");
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 1u);
  EXPECT_LE(ledger_.devices().size(), kMaxLedgerDevices + 1);
  EXPECT_TRUE(ledger_.devices()[ledger_.DeviceOf(p, 0)].uid.empty()) << "booked on the device of its number";
}

}  // namespace
}  // namespace memledger::ledger_test
