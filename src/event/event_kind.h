// event_kind.h — the kinds of event and the classes of buffer, one table
// each: what every kind is called, whether it begins or ends a buffer's life
// and in which class, and whether a carried-over stream may bring it; the
// memory type a class fixes. KindName, IsBufferEvent, the ledger's dispatch
// of buffer events, carry-over's choice and the legacy translation's pairing
// read these rows and list no buffer kind of their own.
//
// Appending a kind (values cross processes and land in files: append only):
// its value in EventKind, kLastEventKind, and its row at the end of kKindRows
// (docs/architecture.md, "Adding an event kind", says what else). The asserts
// below refuse a table that is not one row per kind in order, a buffer class
// without exactly one kind that begins and one that ends its life, and a
// carried-over flag on a buffer event.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "memledger/memledger.h"

namespace memledger {

enum class EventKind : std::uint8_t {
  kInvalid = 0,
  kAlloc = 1,
  kFree = 2,
  kCbAlloc = 3,
  kCbFree = 4,
  kKernelLoad = 5,
  kKernelUnload = 6,
  kDeviceOpen = 7,   // payload: device description (record.h)
  kDeviceClose = 8,
  kTag = 9,          // defines tag id `tag` as the payload's name
  kMark = 10,        // payload: label
  kPool = 11,        // defines memory type `type` as the payload's pool name
  kProcess = 12,     // the process names itself: pid in buffer_id, uid + 1 in size (0: unknown); payload: comm
  kProcessEnd = 13,  // the process ended: ProcessState in type, exit status in buffer_id,
                     // drops in size, lost slots in address
  kStack = 14,       // defines stack id `stack`; payload: its frames (record.h)
  kModule = 15,      // a module loaded in the process; payload: its description (record.h)
  kLanguageFrame = 16,  // defines the language frame value `address` (a Python function); payload: record.h
  kSkipFrames = 17,     // frames matching the payload (an RE2 pattern) are the process's allocator's
  kAllocFailed = 18,    // an allocation of `size` bytes of `type` failed; `address`: its extent (0: size)
  kCheckpoint = 19,     // a checkpoint: this record's seq (ledger/checkpoints.h)
  kCheckpointEnd = 20,  // the checkpoint whose seq is `buffer_id` ends
};
inline constexpr std::uint8_t kLastEventKind = 20;

// What a buffer is, for matching frees: identities of buffers, CBs and
// kernel binaries live in separate name spaces.
enum class BufferClass : std::uint8_t { kBuffer = 0, kCircularBuffer = 1, kKernelBinary = 2 };
inline constexpr int kBufferClassCount = 3;
// What reports call a class ("buffer", "circular buffer", "kernel binary").
constexpr std::string_view BufferClassName(BufferClass cls) {
  constexpr std::array<std::string_view, kBufferClassCount> kNames = {"buffer", "circular buffer", "kernel binary"};
  const auto index = static_cast<std::size_t>(cls);
  return index < kNames.size() ? kNames[index] : "buffer";
}

// What an event does to a buffer's life; kNone: it is no buffer event.
enum class BufferLife : std::uint8_t { kNone = 0, kBegins = 1, kEnds = 2 };

struct KindRow {
  EventKind kind;
  std::string_view name;  // in reports, exports and capture descriptions
  BufferLife life;
  BufferClass cls;        // buffer events only
  // Not a buffer event, and a carried-over stream (ledger/carry_over.h) may
  // bring it: a definition the carried buffers refer to, a device open or
  // close. A buffer event is carried as its life says.
  bool carried_over;
};

inline constexpr std::array<KindRow, kLastEventKind + 1> kKindRows = {{
    {EventKind::kInvalid, "INVALID", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kAlloc, "ALLOC", BufferLife::kBegins, BufferClass::kBuffer, false},
    {EventKind::kFree, "FREE", BufferLife::kEnds, BufferClass::kBuffer, false},
    {EventKind::kCbAlloc, "CB_ALLOC", BufferLife::kBegins, BufferClass::kCircularBuffer, false},
    {EventKind::kCbFree, "CB_FREE", BufferLife::kEnds, BufferClass::kCircularBuffer, false},
    {EventKind::kKernelLoad, "KERNEL_LOAD", BufferLife::kBegins, BufferClass::kKernelBinary, false},
    {EventKind::kKernelUnload, "KERNEL_UNLOAD", BufferLife::kEnds, BufferClass::kKernelBinary, false},
    {EventKind::kDeviceOpen, "DEVICE_OPEN", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kDeviceClose, "DEVICE_CLOSE", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kTag, "TAG", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kMark, "MARK", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kPool, "POOL", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kProcess, "PROCESS", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kProcessEnd, "PROCESS_END", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kStack, "STACK", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kModule, "MODULE", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kLanguageFrame, "LANGUAGE_FRAME", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kSkipFrames, "SKIP_FRAMES", BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kAllocFailed, "ALLOC_FAILED", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kCheckpoint, "CHECKPOINT", BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kCheckpointEnd, "CHECKPOINT_END", BufferLife::kNone, BufferClass::kBuffer, false},
}};

// The process's own memory type of every buffer of a class, or
// kTypeOfTheRecord when the record's type says it.
inline constexpr int kTypeOfTheRecord = -1;
inline constexpr std::array<int, kBufferClassCount> kClassMemoryType = {
    kTypeOfTheRecord,  // kBuffer
    MEMLEDGER_CB,      // kCircularBuffer
    MEMLEDGER_KERNEL,  // kKernelBinary
};

// The row of `kind`; kInvalid's for values no row has (a hostile record's).
constexpr const KindRow& KindRowOf(EventKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kKindRows.size() ? kKindRows[index] : kKindRows[0];
}
// "ALLOC", "FREE", ...; "INVALID" for unknown values.
constexpr std::string_view KindName(EventKind kind) { return KindRowOf(kind).name; }
// An event of a buffer's life: alloc, free, CB alloc/free, kernel load/unload.
constexpr bool IsBufferEvent(EventKind kind) { return KindRowOf(kind).life != BufferLife::kNone; }

// The kind that begins (`life` kBegins) or ends (kEnds) the life of a buffer
// of class `cls`: kAlloc for kBuffer's beginning, and so on.
constexpr EventKind LifeKindOf(BufferClass cls, BufferLife life) {
  for (const KindRow& row : kKindRows) {
    if (row.life == life && row.cls == cls) return row.kind;
  }
  return EventKind::kInvalid;
}

namespace event_kind_checks {
constexpr bool OneRowPerKindInOrder() {
  for (std::size_t i = 0; i < kKindRows.size(); ++i) {
    if (static_cast<std::size_t>(kKindRows[i].kind) != i || kKindRows[i].name.empty()) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (kKindRows[j].name == kKindRows[i].name) return false;
    }
  }
  return kKindRows[0].kind == EventKind::kInvalid && kKindRows[0].life == BufferLife::kNone &&
         !kKindRows[0].carried_over;
}
constexpr bool EachClassBeginsAndEndsOnce() {
  for (int c = 0; c < kBufferClassCount; ++c) {
    int begins = 0, ends = 0;
    for (const KindRow& row : kKindRows) {
      if (row.cls != static_cast<BufferClass>(c)) continue;
      begins += row.life == BufferLife::kBegins;
      ends += row.life == BufferLife::kEnds;
    }
    if (begins != 1 || ends != 1) return false;
  }
  return true;
}
constexpr bool BufferEventsCarriedByTheirLife() {
  for (const KindRow& row : kKindRows) {
    if (row.life != BufferLife::kNone && row.carried_over) return false;
    if (static_cast<int>(row.cls) >= kBufferClassCount) return false;
  }
  return true;
}
static_assert(OneRowPerKindInOrder(),
              "kKindRows: row i is EventKind i, for every kind up to kLastEventKind, each with a name of its own");
static_assert(EachClassBeginsAndEndsOnce(),
              "kKindRows: each buffer class has one kind that begins a life and one that ends it");
static_assert(BufferEventsCarriedByTheirLife(),
              "kKindRows: a row's class is a BufferClass; carried_over is for kinds that are no buffer event");
}  // namespace event_kind_checks

}  // namespace memledger
