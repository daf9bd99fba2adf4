// c_api_capture_test.cc — replays the capture that c_api_test.c wrote with
// tracking on (ctest fixture c_api_capture) and checks that the books hold
// exactly what the C program did (c_api_expected.h): the C ABI, the client
// library, the embedded consumer and the capture writer, end to end.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "c_api_expected.h"
#include "replayed_capture.h"

namespace memledger {
namespace {

class CApiCapture : public ReplayedCapture {
 protected:
  void SetUp() override { Replay(MEMLEDGER_C_API_CAPTURE, "c_api_tracking_on"); }
};

TEST_F(CApiCapture, IsWholeAndEndsCleanly) {
  ExpectWholeAndExited("c_api_test");
  // Turning stacks on described every mapped object once, this program first.
  const std::uint64_t modules = books().modules.size();
  EXPECT_GT(modules, 1u);
  EXPECT_NE(books().modules.at(0).path.find("c_api_test"), std::string::npos);
  EXPECT_EQ(result_.records, C_API_RECORDS + modules);
  EXPECT_EQ(books().events, C_API_RECORDS + modules);
  EXPECT_GT(result_.info.start_unix_ns, 0u);
}

TEST_F(CApiCapture, DevicesCarryTheirNamesAndCapacities) {
  ASSERT_EQ(ledger_.devices().size(), 5u);
  const DeviceBooks& sim0 = ledger_.devices()[0];
  EXPECT_EQ(sim0.name, "sim0");
  // Device 0 was never closed, but its only opener has ended: nobody holds it.
  EXPECT_FALSE(sim0.open);
  EXPECT_EQ(sim0.openers, 0u);
  EXPECT_EQ(sim0.capacity[MEMLEDGER_DRAM], C_API_DRAM_CAPACITY);
  EXPECT_EQ(sim0.capacity[MEMLEDGER_L1], C_API_L1_CAPACITY);
  EXPECT_EQ(sim0.capacity[PoolType("kv_cache")], C_API_KV_CACHE_CAPACITY);
  EXPECT_EQ(ledger_.devices()[1].name, "sim1");
  EXPECT_FALSE(ledger_.devices()[1].open);
  EXPECT_TRUE(sim0.uid.empty());
  EXPECT_EQ(ledger_.devices()[2].name, "sim2");
  EXPECT_EQ(ledger_.devices()[2].uid, C_API_DEVICE2_UID);
  const DeviceBooks& sim3 = ledger_.devices()[3];
  EXPECT_EQ(sim3.name, "sim3");
  EXPECT_EQ(sim3.capacity[MEMLEDGER_DRAM], C_API_DRAM_CAPACITY);
  EXPECT_TRUE(sim3.uid.empty()) << "a field beyond the caller's struct_size is not read";
  EXPECT_TRUE(sim3.spaces.empty()) << "a field beyond the caller's struct_size is not read";
}

TEST_F(CApiCapture, AddressSpacesAreReadWithinTheCallersStruct) {
  const DeviceBooks& sim2 = ledger_.devices()[2];
  EXPECT_TRUE(sim2.space_problem.empty()) << sim2.space_problem;
  ASSERT_EQ(sim2.spaces.declared().size(), static_cast<std::size_t>(C_API_DEVICE2_SPACES));
  ASSERT_NE(sim2.spaces.MapOf(MEMLEDGER_DRAM), nullptr);
  EXPECT_EQ(sim2.spaces.MapOf(MEMLEDGER_DRAM)->geometry().size, C_API_DEVICE2_DRAM_SPACE);
  ASSERT_NE(sim2.spaces.MapOf(MEMLEDGER_L1), nullptr);
  EXPECT_EQ(sim2.spaces.MapOf(MEMLEDGER_L1)->geometry().banks, 2u);
  EXPECT_EQ(sim2.spaces.MapOf(MEMLEDGER_L1)->geometry().size, 2 * C_API_DEVICE2_L1_BANK);
  EXPECT_EQ(sim2.spaces.PlacedWithin(MEMLEDGER_CB), std::optional<std::uint16_t>(MEMLEDGER_L1));
  // An older header's struct, ending before address_spaces: its uid is read, the spaces beyond it are not.
  const DeviceBooks& sim4 = ledger_.devices()[4];
  EXPECT_EQ(sim4.name, "sim4");
  EXPECT_EQ(sim4.uid, C_API_DEVICE4_UID);
  EXPECT_TRUE(sim4.spaces.empty()) << "address_spaces beyond the caller's struct_size are not read";
}

TEST_F(CApiCapture, FailedAllocationsAreBookedWithTheirVerdicts) {
  const std::vector<AllocationFailure>& failures = ledger_.failures();
  ASSERT_EQ(failures.size(), static_cast<std::size_t>(C_API_ALLOC_FAILED_HOOKS));
  const AllocationFailure& l1 = failures[0];  // memledger_record_alloc_failed, tag "weights"
  EXPECT_EQ(l1.device, 0u);
  EXPECT_EQ(l1.type, MEMLEDGER_L1);
  EXPECT_EQ(l1.size, C_API_FAILED_L1_BYTES);
  EXPECT_EQ(l1.extent, C_API_FAILED_L1_EXTENT);
  EXPECT_EQ(l1.verdict, FailureVerdict::kNoAddressSpace);
  EXPECT_EQ(ledger_.tag_name(static_cast<std::uint32_t>(result_.process), l1.tag), "weights");
  const AllocationFailure& dram = failures[1];  // memledger_alloc_failed, inline, no extent
  EXPECT_EQ(dram.device, 2u);
  EXPECT_EQ(dram.type, MEMLEDGER_DRAM);
  EXPECT_EQ(dram.size, C_API_FAILED_DRAM_BYTES);
  EXPECT_EQ(dram.extent, C_API_FAILED_DRAM_BYTES) << "extent 0: the size";
  EXPECT_TRUE(dram.has_map);
  EXPECT_EQ(dram.verdict, FailureVerdict::kExhausted);
  EXPECT_EQ(dram.tag, 0u);
  EXPECT_EQ(books().alloc_failures, static_cast<std::uint64_t>(C_API_ALLOC_FAILED_HOOKS));
}

TEST_F(CApiCapture, PoolsAreRegisteredByNameUpToTheLimit) {
  EXPECT_EQ(ledger_.type_count(), static_cast<std::size_t>(kBuiltinTypeCount + C_API_POOLS));
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount), "kv_cache");
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount + 1), "scratch");
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount + 2), "pool_18");
  EXPECT_EQ(ledger_.type_name(kBuiltinTypeCount + C_API_POOLS - 1), "pool_63");
}

TEST_F(CApiCapture, EveryHookIsBookedUnderItsDeviceAndType) {
  const std::uint64_t worker_buffers = C_API_THREADS * C_API_ALLOCS_PER_THREAD;
  const TypeCounters& dram = Counters(0, MEMLEDGER_DRAM);
  EXPECT_EQ(dram.allocs, 3 + worker_buffers);  // ids 1, 2, 6 and the workers'
  EXPECT_EQ(dram.frees, 1 + worker_buffers);   // id 2 and the workers'
  EXPECT_EQ(dram.leaked_buffers, 2u);          // ids 1 and 6
  EXPECT_EQ(dram.leaked_bytes, C_API_WEIGHTS_BYTES + C_API_UNTAGGED_DRAM_BYTES);
  EXPECT_EQ(dram.live_bytes, 0u);
  EXPECT_EQ(dram.peak_bytes, C_API_DRAM_PEAK_BYTES);

  EXPECT_EQ(Counters(0, MEMLEDGER_L1).allocs, 1u);
  EXPECT_EQ(Counters(0, MEMLEDGER_L1).frees, 1u);
  EXPECT_EQ(Counters(0, MEMLEDGER_CB).allocs, 2u);
  EXPECT_EQ(Counters(0, MEMLEDGER_CB).frees, 2u);
  EXPECT_EQ(Counters(0, MEMLEDGER_KERNEL).allocs, 2u);
  EXPECT_EQ(Counters(0, MEMLEDGER_KERNEL).frees, 2u);
  const TypeCounters& kv = Counters(0, PoolType("kv_cache"));
  EXPECT_EQ(kv.allocs, 1u);
  EXPECT_EQ(kv.leaked_bytes, C_API_KV_CACHE_BYTES);
  const TypeCounters& device1_l1 = Counters(1, MEMLEDGER_L1);
  EXPECT_EQ(device1_l1.allocs, 1u);
  EXPECT_EQ(device1_l1.leaked_bytes, C_API_DEVICE1_L1_BYTES) << "device_close leaks what is live there";
  EXPECT_EQ(device1_l1.live_bytes, 0u);
}

TEST_F(CApiCapture, AnomaliesAreTheTwoBadFrees) {
  const AnomalyCounts& anomalies = books().anomalies;
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kUnknownFree)], 1u);
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kDoubleFree)], 1u);
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kDoubleAlloc)], 0u);
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kOverlap)], 0u);
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kLateFreeHook)], 0u);
  EXPECT_EQ(anomalies[static_cast<int>(Anomaly::kInvalidEvent)], 0u);
}

TEST_F(CApiCapture, LeaksCarryTheTagOfTheirThread) {
  EXPECT_EQ(books().leaked_buffers, static_cast<std::uint64_t>(C_API_LEAKED_BUFFERS));
  EXPECT_EQ(books().leaked_bytes, C_API_LEAKED_BYTES);
  const auto p = static_cast<std::uint32_t>(result_.process);
  std::uint64_t weights_bytes = 0, untagged_dram_bytes = 0;
  for (const auto& [key, totals] : ledger_.leak_sites()) {
    const std::string_view tag = ledger_.tag_name(p, key.tag);
    EXPECT_NE(tag, "worker") << "a worker thread's tag reached another thread's allocation";
    EXPECT_NE(tag, "inner") << "a popped tag stuck";
    if (key.device == 0 && key.type == MEMLEDGER_DRAM && tag == "weights") weights_bytes += totals.bytes;
    if (key.device == 0 && key.type == MEMLEDGER_DRAM && key.tag == 0) untagged_dram_bytes += totals.bytes;
  }
  EXPECT_EQ(weights_bytes, C_API_WEIGHTS_BYTES);
  EXPECT_EQ(untagged_dram_bytes, C_API_UNTAGGED_DRAM_BYTES);
  EXPECT_EQ(books().tag_names.size(), 3u);  // weights, inner, worker
}

TEST_F(CApiCapture, MarkIsRecordedWithItsTime) {
  ASSERT_EQ(books().marks.size(), 1u);
  EXPECT_EQ(books().marks[0].second, "step 1");
  EXPECT_GT(books().marks[0].first, 0u) << "the consumer stamps the time";
}

}  // namespace
}  // namespace memledger
