// event.h — the event record: one fixed 64-byte record per hook call, the unit
// that crosses the shared-memory ring and lands in capture files.
//
// Layout rules (it crosses a process boundary and lands in files): fixed-width
// fields, size asserted, enum values fixed and appended only. A record whose
// header says payload_bytes > 0 is followed by ceil(payload_bytes / 56)
// continuation slots carrying the payload (see record.h); such records are the
// variable-size facts (device descriptions, tag, pool and mark names, process
// info, stacks, modules, language frames), defined once and referred to by id.
// The kinds, and what each is, are event_kind.h's table.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "event/event_kind.h"
#include "memledger/memledger.h"

namespace memledger {

// One ring slot / one capture record. `seq` doubles as the ring's publish word.
struct Event {
  std::uint64_t seq;        // per-process sequence number, from 1; the order of hooks
  std::uint64_t time_ns;    // CLOCK_MONOTONIC, given when the consumer drains the slot (ledger/drain_times.h)
  std::uint64_t buffer_id;  // identity while live; 0 = the address is the identity
  std::uint64_t address;
  std::uint64_t size;
  std::uint32_t thread;     // kernel thread id of the hooked thread
  std::uint32_t stack;      // the process's stack id (a STACK record holds its frames); 0: none
  std::uint32_t tag;        // the process's tag id (a TAG record names it); 0: none
  std::uint16_t device;
  std::uint8_t kind;        // EventKind
  std::uint8_t type;        // memledger_mem_type
  std::uint32_t payload_bytes;  // > 0: continuation slots follow
  std::uint32_t reserved;
};
static_assert(sizeof(Event) == 64, "an event is one cache line");
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(std::is_standard_layout_v<Event>);

inline constexpr std::size_t kSlotBytes = sizeof(Event);
// Payload bytes a continuation slot carries: all but the seq/publish word.
inline constexpr std::size_t kContinuationPayload = kSlotBytes - sizeof(std::uint64_t);
// The largest payload a record may carry; larger claims are corrupt input.
inline constexpr std::uint32_t kMaxPayloadBytes = 4096;
inline constexpr std::uint32_t ContinuationSlots(std::uint32_t payload_bytes) {
  return static_cast<std::uint32_t>((payload_bytes + kContinuationPayload - 1) / kContinuationPayload);
}

// DRAM .. KERNEL: the built-in types of memledger.h. A type appended there
// is counted here and takes a row in event.cc's table, whose asserts check
// it against memledger.hpp's MemType and this count.
inline constexpr int kBuiltinTypeCount = 7;
inline constexpr int kMaxDevices = 1024;     // device ids accepted by the ledger

// "DRAM", "L1", ... for built-in types; empty for pools and unknown values.
std::string_view BuiltinTypeName(std::uint8_t type);
// Inverse of BuiltinTypeName (exact, upper case).
std::optional<std::uint8_t> BuiltinTypeFromName(std::string_view name);

}  // namespace memledger
