// metrics_test.cc — RenderMetrics: the exposition format Prometheus parses,
// label escaping, a bounded number of per-process series, and the free space
// of declared address spaces and allocation failures by verdict.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "event/record.h"

namespace memledger {
namespace {

Event Alloc(std::uint64_t seq, std::uint64_t id, std::uint64_t size) {
  Event e{};
  e.seq = seq;
  e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  e.type = MEMLEDGER_DRAM;
  e.buffer_id = id;
  e.address = id * 0x10000;
  e.size = size;
  return e;
}

std::size_t Count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(RenderMetrics, EveryFamilyHasHelpAndTypeAndSamples) {
  Ledger ledger;
  const ProcessIndex p = ledger.BeginProcess(42, "app");
  ledger.Apply(p, Record{Alloc(1, 1, 4096), {}});
  const std::string text = RenderMetrics(ledger, {});
  for (const char* family : {"memledger_device_used_bytes", "memledger_device_capacity_bytes",
                             "memledger_device_peak_bytes", "memledger_process_used_bytes", "memledger_live_buffers",
                             "memledger_events_total", "memledger_dropped_events_total", "memledger_anomalies_total",
                             "memledger_leaked_bytes_total"}) {
    EXPECT_EQ(Count(text, std::string("# HELP ") + family + " "), 1u) << family;
    EXPECT_EQ(Count(text, std::string("# TYPE ") + family + " "), 1u) << family;
  }
  EXPECT_NE(text.find("memledger_device_used_bytes{device=\"0\",name=\"\",type=\"DRAM\"} 4096\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("memledger_process_used_bytes{pid=\"42\",comm=\"app\",device=\"0\",type=\"DRAM\"} 4096\n"),
            std::string::npos);
  EXPECT_NE(text.find("memledger_events_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("memledger_anomalies_total{kind=\"double_free\"} 0\n"), std::string::npos);
}

// Device 0 declares a flat 1 KiB L1; two 256-byte buffers split it; a
// 512-byte request fails twice (fragmented), a DRAM one once (no space).
TEST(RenderMetrics, FreeSpaceAndFailuresByVerdict) {
  Ledger ledger;
  const ProcessIndex p = ledger.BeginProcess(42, "app");
  Event open{};
  open.seq = 1;
  open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
  DeviceDescription description{"tiny", {{MEMLEDGER_DRAM, 1 << 20}, {MEMLEDGER_L1, 1024}}, ""};
  description.address_spaces = {memledger_address_space{MEMLEDGER_L1, MEMLEDGER_L1, 1, 16, 0, 1024}};
  ledger.Apply(p, Record{open, EncodeDeviceDescription(description)});
  std::uint64_t seq = 2;
  for (const std::uint64_t address : {256u, 768u}) {
    Event e = Alloc(seq++, address, 256);
    e.type = MEMLEDGER_L1;
    e.address = address;
    ledger.Apply(p, Record{e, {}});
  }
  auto fail = [&](std::uint8_t type, std::uint64_t size) {
    Event e{};
    e.seq = seq++;
    e.kind = static_cast<std::uint8_t>(EventKind::kAllocFailed);
    e.type = type;
    e.size = size;
    ledger.Apply(p, Record{e, {}});
  };
  fail(MEMLEDGER_L1, 512);
  fail(MEMLEDGER_L1, 512);
  fail(MEMLEDGER_DRAM, 4096);
  const std::string text = RenderMetrics(ledger, {});
  for (const char* family : {"memledger_device_free_bytes", "memledger_device_largest_free_block_bytes",
                             "memledger_allocation_failures_total"}) {
    EXPECT_EQ(Count(text, std::string("# HELP ") + family + " "), 1u) << family;
  }
  EXPECT_NE(text.find("# TYPE memledger_allocation_failures_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("memledger_device_free_bytes{device=\"0\",type=\"L1\"} 512\n"), std::string::npos) << text;
  EXPECT_NE(text.find("memledger_device_largest_free_block_bytes{device=\"0\",type=\"L1\"} 256\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("memledger_device_free_bytes{device=\"0\",type=\"DRAM\"}"), std::string::npos)
      << "DRAM declared no space";
  EXPECT_NE(text.find("memledger_allocation_failures_total{device=\"0\",type=\"L1\",verdict=\"fragmented\"} 2\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("memledger_allocation_failures_total{device=\"0\",type=\"DRAM\",verdict=\"no_address_space\"} 1\n"),
            std::string::npos) << text;
}

TEST(RenderMetrics, LabelValuesAreEscaped) {
  Ledger ledger;
  const ProcessIndex p = ledger.BeginProcess(7, "a\"b\\c\nd");
  ledger.Apply(p, Record{Alloc(1, 1, 10), {}});
  const std::string text = RenderMetrics(ledger, {});
  EXPECT_NE(text.find(R"(comm="a\"b\\c\nd")"), std::string::npos) << text;
}

TEST(RenderMetrics, PerProcessSeriesAreBoundedWithTheRestAsOther) {
  Ledger ledger;
  for (std::uint32_t pid = 1; pid <= 30; ++pid) {
    const ProcessIndex p = ledger.BeginProcess(pid, "worker");
    ledger.Apply(p, Record{Alloc(1, 1, pid * 100), {}});  // larger pids hold more
  }
  const std::string text = RenderMetrics(ledger, {}, 5);
  EXPECT_EQ(Count(text, "memledger_process_used_bytes{"), 6u) << "5 largest and one 'other'";
  EXPECT_NE(text.find("memledger_process_used_bytes{pid=\"30\""), std::string::npos) << "the largest is kept";
  // The 25 smallest (pids 1..25) hold 100 * (1 + ... + 25) bytes.
  EXPECT_NE(text.find("memledger_process_used_bytes{pid=\"other\",comm=\"other\",device=\"0\",type=\"DRAM\"} 32500\n"),
            std::string::npos)
      << text;
}

// Two processes' "device 0" with different uids are two devices, each with
// its own series; a process's series name the ledger-wide device.
TEST(RenderMetrics, DevicesAreLedgerWideAndCarryTheirUid) {
  Ledger ledger;
  for (std::uint32_t pid : {1u, 2u}) {
    const ProcessIndex p = ledger.BeginProcess(pid, "sim");
    Event open{};
    open.seq = 1;
    open.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
    const std::string payload =
        EncodeDeviceDescription({"card", {{MEMLEDGER_DRAM, pid * 1000ULL}}, "chip-" + std::to_string(pid)});
    open.payload_bytes = static_cast<std::uint32_t>(payload.size());
    ledger.Apply(p, Record{open, payload});
    ledger.Apply(p, Record{Alloc(2, 1, pid * 100), {}});
  }
  const std::string text = RenderMetrics(ledger, {});
  EXPECT_NE(text.find("memledger_device_capacity_bytes{device=\"0\",name=\"card\",uid=\"chip-1\",type=\"DRAM\"} 1000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("memledger_device_capacity_bytes{device=\"1\",name=\"card\",uid=\"chip-2\",type=\"DRAM\"} 2000\n"),
            std::string::npos);
  EXPECT_NE(text.find("memledger_device_used_bytes{device=\"1\",name=\"card\",uid=\"chip-2\",type=\"DRAM\"} 200\n"),
            std::string::npos);
  EXPECT_NE(text.find("memledger_process_used_bytes{pid=\"2\",comm=\"sim\",device=\"1\",type=\"DRAM\"} 200\n"),
            std::string::npos);
}

TEST(RenderMetrics, DroppedEventsAddLiveRingsToEndedProcesses) {
  Ledger ledger;
  ledger.BeginProcess(1, "a");
  const std::string text = RenderMetrics(ledger, MetricsCounters{17});
  EXPECT_NE(text.find("memledger_dropped_events_total 17\n"), std::string::npos);
}

}  // namespace
}  // namespace memledger
