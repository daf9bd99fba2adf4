// record.h — records on top of 64-byte slots: a header Event plus, for the
// variable-size facts, a payload carried in continuation slots; and the codecs
// of those payloads.
//
// Slot framing: a header with payload_bytes = P is followed by
// ContinuationSlots(P) slots; each continuation slot keeps its first 8 bytes for
// the seq/publish word and carries kContinuationPayload payload bytes after it.
// RecordAssembler turns a slot stream (ring or file) back into records and
// treats it as hostile: bad kinds, oversize payloads and out-of-order sequence
// numbers are counted and skipped, never trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "event/event.h"

namespace memledger {

// A decoded record. `payload` points into the assembler's buffer and is valid
// until the next call to RecordAssembler::Push.
struct Record {
  Event event;
  std::string_view payload;
  EventKind kind() const { return static_cast<EventKind>(event.kind); }
};

// Writes the payload bytes into `slots` (ContinuationSlots(payload.size()) of
// them) with seq fields left for the caller to set.
void PackPayload(std::string_view payload, std::span<Event> slots);

// Appends one record to an in-memory slot stream: `header` with
// payload_bytes set, then its continuation slots, numbered on from the last
// slot's seq (from 1 in an empty stream). The payload is cut at kMaxPayloadBytes.
void AppendRecord(std::vector<Event>& slots, Event header, std::string_view payload = {});

// Why a slot stream was not accepted as it came.
struct AssemblerErrors {
  std::uint64_t bad_kind = 0;        // header with a kind this reader does not know
  std::uint64_t bad_payload = 0;     // payload_bytes over kMaxPayloadBytes
  std::uint64_t missing_slots = 0;   // slots skipped by forward seq jumps (lost upstream)
  std::uint64_t sequence_backwards = 0;  // seq went back or repeated: slot dropped
  std::uint64_t total() const { return bad_kind + bad_payload + missing_slots + sequence_backwards; }
};

// Reassembles records from slots delivered strictly in sequence.
// Not thread-safe: one reader.
class RecordAssembler {
 public:
  // Feeds one slot. Returns a complete record when this slot finished one.
  std::optional<Record> Push(const Event& slot);
  // True while a record's continuation slots are still expected.
  bool mid_record() const { return remaining_ != 0 || skipping_ != 0; }
  std::uint64_t next_seq() const { return next_seq_; }
  const AssemblerErrors& errors() const { return errors_; }

 private:
  Event header_{};
  std::string payload_;
  std::uint32_t remaining_ = 0;  // continuation slots still to come
  std::uint32_t skipping_ = 0;   // continuation slots of a refused record still to come
  std::uint64_t next_seq_ = 0;   // 0: not known yet
  AssemblerErrors errors_;
};

// --- payload codecs -------------------------------------------------------
//
// Every name a decoder returns is valid UTF-8 (event/utf8.h: ill-formed bytes
// become U+FFFD), whatever bytes the writer sent, so the ledger never holds
// anything else. Module paths are the exception: they name files to open,
// byte for byte, and are made valid where they are shown.

// A name record's payload (TAG, MARK, POOL, PROCESS; a device's name): at
// most kMaxNameRecordBytes bytes of valid UTF-8, cut on a character boundary.
// The client library cuts names there before sending them; a longer payload
// (another writer's) is cut here, not refused.
inline constexpr std::size_t kMaxNameRecordBytes = 256;
std::string DecodeName(std::string_view payload);

// A DEVICE_OPEN record's payload. Two layouts, told apart by the first word:
//   plain:     u32 n, n x {u32 type, u32 0, u64 bytes}, then the name (the
//              rest of the payload) — what every open without a uid writes,
//              byte for byte what readers before device identities read;
//   described: u32 n | kDescriptionFields, the same capacities, then fields
//              {u16 field, u16 bytes, bytes}: 1 the name, 2 the uid, 3 the
//              address spaces (32 bytes each: u8 type, u8 within, u16 0,
//              u32 banks, u32 alignment, u32 0, u64 base, u64 size). A reader
//              skips fields it does not know (later writers append new ones);
//              a reader from before this layout refuses the payload (its
//              count is out of range) instead of misreading it.
struct DeviceDescription {
  std::string name;  // decoded: as DecodeName
  std::vector<memledger_capacity> capacities;
  // What the device is physically, stable across processes (a GPU's UUID, a
  // PCI bus id, a board serial); empty: unknown. Decoded as DecodeName.
  std::string uid = {};
  // Each memory type's address space (memledger.h), as declared: checked
  // by the ledger, not here (at most MEMLEDGER_MAX_TYPES are kept).
  std::vector<memledger_address_space> address_spaces = {};
};
inline constexpr std::uint32_t kDescriptionFields = 1u << 31;
std::string EncodeDeviceDescription(const DeviceDescription& device);
// nullopt when the payload is malformed.
std::optional<DeviceDescription> DecodeDeviceDescription(std::string_view payload);

// A STACK record's frames: code addresses, innermost first; every frame but
// the innermost is a return address (the instruction after the call).
inline constexpr std::size_t kMaxStackDepth = MEMLEDGER_MAX_STACK_DEPTH;
std::string EncodeStack(std::span<const std::uint64_t> frames);
// nullopt when malformed (not whole addresses, empty, or deeper than kMaxStackDepth).
std::optional<std::vector<std::uint64_t>> DecodeStack(std::string_view payload);

// A MODULE record: an ELF object mapped in the process (dl_iterate_phdr), so
// that frames can be symbolized later, elsewhere, after the process is gone.
// A frame at address A in [start, end) is at A - base in the ELF file's own
// addresses (base is the load bias: 0 for a non-PIE executable).
struct ModuleDescription {
  std::uint64_t base = 0;
  std::uint64_t start = 0;  // lowest mapped address of its PT_LOAD segments
  std::uint64_t end = 0;    // one past the highest
  std::string build_id;     // raw bytes of NT_GNU_BUILD_ID (empty when none), at most 64
  std::string path;         // as the dynamic loader knows it; the main program by its real path (/proc/self/exe); raw bytes
};
std::string EncodeModule(const ModuleDescription& module);
std::optional<ModuleDescription> DecodeModule(std::string_view payload);

// A LANGUAGE_FRAME record: a frame of interpreted code (a Python function at
// file:line) that a language binding put into stacks (memledger.h,
// memledger_intern_frame). In a STACK record it is a synthetic frame value
// that no native return address can equal: kLanguageFrameTag in the top 16
// bits — non-canonical on x86-64 with 4- and 5-level paging, above any
// user-space address on AArch64 — and a per-process id in the low 32 bits.
// The record carries the value in `address` and the text as its payload, and
// comes before any STACK record that uses the value.
inline constexpr std::uint64_t kLanguageFrameTag = 0xfa7e'0000'0000'0000ULL;
inline constexpr std::uint64_t kLanguageFrameTagMask = 0xffff'0000'0000'0000ULL;
inline constexpr bool IsLanguageFrame(std::uint64_t frame) {
  return (frame & kLanguageFrameTagMask) == kLanguageFrameTag;
}
inline constexpr std::uint64_t LanguageFrameValue(std::uint32_t id) { return kLanguageFrameTag | id; }

struct LanguageFrame {
  std::string function;  // as the language names it ("Model.forward", "<module>")
  std::string file;
  std::uint32_t line = 0;  // 0: unknown
  bool operator==(const LanguageFrame&) const = default;
};
// Payload: u32 line, u32 function bytes, function, file; each text cut to
// kMaxLanguageFrameText bytes (on a character boundary when decoded).
inline constexpr std::size_t kMaxLanguageFrameText = 1024;
std::string EncodeLanguageFrame(const LanguageFrame& frame);
// nullopt when malformed (a text longer than kMaxLanguageFrameText included);
// the texts decoded as valid UTF-8.
std::optional<LanguageFrame> DecodeLanguageFrame(std::string_view payload);

}  // namespace memledger
