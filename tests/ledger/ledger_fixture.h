// ledger_fixture.h — shared by the ledger tests: builds records by hand (the
// Ledger is pure: no ring, no file), numbers them per process, and checks the
// ledger's invariants (Validate) after every record.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "event/record.h"
#include "ledger/ledger.h"

namespace memledger::ledger_test {

// The hook arguments of one buffer.
struct Buf {
  std::uint16_t device = 0;
  std::uint8_t type = MEMLEDGER_DRAM;
  std::uint64_t id = 0;  // 0: the address is the identity
  std::uint64_t address = 0;
  std::uint64_t size = 0;
  std::uint32_t tag = 0;
  std::uint32_t stack = 0;
};

class LedgerTest : public ::testing::Test {
 protected:
  ProcessIndex Begin(std::uint32_t pid = 1000, std::string comm = "app") {
    return ledger_.BeginProcess(pid, std::move(comm));
  }

  // Applies one record from `process`, numbered with that process's next seq.
  void Apply(ProcessIndex process, Event e, std::string_view payload = {}) {
    std::uint64_t& seq = next_seq_[static_cast<std::uint32_t>(process)];
    e.seq = ++seq;
    e.payload_bytes = static_cast<std::uint32_t>(payload.size());
    ledger_.Apply(process, Record{e, payload});
    EXPECT_EQ(ledger_.Validate(), std::nullopt) << "after " << KindName(static_cast<EventKind>(e.kind)) << " seq "
                                                << e.seq;
  }
  // The process's next records are numbered as if `n` records came between.
  void SkipSeq(ProcessIndex process, std::uint64_t n) { next_seq_[static_cast<std::uint32_t>(process)] += n; }

  // The record a hook makes of `b` (its seq is set when applied).
  static Event HookEvent(EventKind kind, const Buf& b) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(kind);
    e.device = b.device;
    e.type = b.type;
    e.buffer_id = b.id;
    e.address = b.address;
    e.size = b.size;
    e.tag = b.tag;
    e.stack = b.stack;
    return e;
  }
  void Hook(ProcessIndex process, EventKind kind, const Buf& b) {
    Apply(process, HookEvent(kind, b));
  }
  void Alloc(ProcessIndex process, const Buf& b) { Hook(process, EventKind::kAlloc, b); }
  void Free(ProcessIndex process, const Buf& b) { Hook(process, EventKind::kFree, b); }

  // `uid` empty: an open without one (the plain layout).
  void DeviceOpen(ProcessIndex process, std::uint16_t device, std::string name,
                  std::vector<memledger_capacity> capacities = {}, std::string uid = {}) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
    e.device = device;
    Apply(process, e, EncodeDeviceDescription({std::move(name), std::move(capacities), std::move(uid)}));
  }
  // An open that declares address spaces (memledger_address_space).
  void DeviceOpenWithSpaces(ProcessIndex process, std::uint16_t device, std::string name,
                            std::vector<memledger_capacity> capacities, std::vector<memledger_address_space> spaces,
                            std::string uid = {}) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kDeviceOpen);
    e.device = device;
    DeviceDescription description{std::move(name), std::move(capacities), std::move(uid)};
    description.address_spaces = std::move(spaces);
    Apply(process, e, EncodeDeviceDescription(description));
  }
  // memledger_alloc_failed's record.
  void AllocFailed(ProcessIndex process, std::uint16_t device, std::uint8_t type, std::uint64_t size,
                   std::uint64_t extent = 0, std::uint32_t stack = 0, std::uint64_t time_ns = 0) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kAllocFailed);
    e.time_ns = time_ns;
    e.device = device;
    e.type = type;
    e.size = size;
    e.address = extent;
    e.stack = stack;
    Apply(process, e);
  }
  void Mark(ProcessIndex process, std::uint64_t time_ns, std::string_view label) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kMark);
    e.time_ns = time_ns;
    Apply(process, e, label);
  }
  void DeviceClose(ProcessIndex process, std::uint16_t device) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kDeviceClose);
    e.device = device;
    Apply(process, e);
  }
  void Pool(ProcessIndex process, std::uint8_t local_type, std::string_view name) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kPool);
    e.type = local_type;
    Apply(process, e, name);
  }
  // A CHECKPOINT record; returns its seq: the checkpoint.
  std::uint64_t Checkpoint(ProcessIndex process) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kCheckpoint);
    Apply(process, e);
    return next_seq_[static_cast<std::uint32_t>(process)];
  }
  void CheckpointEnd(ProcessIndex process, std::uint64_t checkpoint) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kCheckpointEnd);
    e.buffer_id = checkpoint;
    Apply(process, e);
  }
  void Tag(ProcessIndex process, std::uint32_t tag, std::string_view name) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kTag);
    e.tag = tag;
    Apply(process, e, name);
  }

  // Counters of one process on one ledger-wide device and ledger type (zeros when it never allocated there).
  const TypeCounters& Mine(ProcessIndex process, std::uint16_t device, std::uint16_t type) const {
    static const TypeCounters kNone{};
    const TypeCounterTable* counters = ledger_.process(process).device(device);
    return counters != nullptr ? (*counters)[type] : kNone;
  }
  // Counters of all processes together on one ledger-wide device and ledger type.
  const TypeCounters& All(std::uint16_t device, std::uint16_t type) const {
    static const TypeCounters kNone{};
    return device < ledger_.devices().size() ? ledger_.devices()[device].types[type] : kNone;
  }
  std::uint64_t Anomalies(ProcessIndex process, Anomaly anomaly) const {
    return ledger_.process(process).anomalies[static_cast<int>(anomaly)];
  }
  // Total anomalies of every kind but `except`.
  std::uint64_t OtherAnomalies(ProcessIndex process, Anomaly except) const {
    std::uint64_t total = 0;
    for (int i = 0; i < kAnomalyCount; ++i) {
      if (i != static_cast<int>(except)) total += ledger_.process(process).anomalies[i];
    }
    return total;
  }
  std::uint64_t AllAnomalies(ProcessIndex process) const {
    std::uint64_t total = 0;
    for (const std::uint64_t n : ledger_.process(process).anomalies) total += n;
    return total;
  }

  Ledger ledger_;

 private:
  std::map<std::uint32_t, std::uint64_t> next_seq_;
};

}  // namespace memledger::ledger_test
