// capture_format.h — the on-disk layout of a capture file (.mlcap): a file
// header, a JSON description of the file (version 2 on: who wrote it, the
// record layout, kind and type names), then chunks, each a header and a zstd
// frame holding a run of 64-byte slots (event records and their continuation
// slots, as in the ring): as they are (codec 1), or as columns (codec 2,
// version 3 on: slot_columns.h).
//
// Chunks are independent: a file cut anywhere keeps every whole chunk before
// the cut. A reader refuses versions newer than its own with a clear message.
// Full description: docs/capture-format.md.
#pragma once

#include <cstdint>
#include <type_traits>

namespace memledger {

inline constexpr char kCaptureMagic[8] = {'M', 'L', 'C', 'A', 'P', 'T', 'U', 'R'};
inline constexpr std::uint32_t kCaptureVersion = 3;
inline constexpr std::uint32_t kChunkMagic = 0x4b484c4d;  // "MLHK"
inline constexpr std::uint32_t kCodecZstd = 1;     // the slots as they are, zstd
inline constexpr std::uint32_t kCodecColumns = 2;  // the slots' columns (slot_columns.h), zstd; version 3 on
inline constexpr std::uint32_t kFirstVersionWithColumns = 3;
inline constexpr int kCaptureZstdLevel = 3;  // every chunk's frame, with its content checksum
inline constexpr std::uint32_t kMaxChunkSlots = 1 << 16;
inline constexpr std::uint32_t kMaxChunkCompressedBytes = 16 << 20;
inline constexpr std::uint32_t kMaxDescriptionBytes = 64 << 10;

// Chunk flags (version 2 on; version 1 wrote 0).
inline constexpr std::uint32_t kChunkCarriedOver = 1;  // books handed over, not events (carry_over.h)
inline constexpr std::uint32_t kKnownChunkFlags = kChunkCarriedOver;
// A chunk header alone (no body, slot_count 0), the file's last: its writer
// could not write the rest (a full disk) and stopped there. first_seq: the
// first record missing; reserved: the write's errno (Linux numbering).
inline constexpr std::uint32_t kChunkWriteFailed = 2;

struct CaptureFileHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t header_bytes;  // where the first chunk starts: this header + the description (v2)
  std::uint32_t slot_bytes;    // 64
  std::uint32_t pid;
  std::uint64_t start_unix_ns;
  char comm[32];               // NUL-padded
};
static_assert(sizeof(CaptureFileHeader) == 64);
static_assert(std::is_trivially_copyable_v<CaptureFileHeader>);

struct ChunkHeader {
  std::uint32_t magic;        // kChunkMagic
  std::uint32_t codec;        // kCodecZstd, or kCodecColumns (version 3 on)
  std::uint32_t compressed_bytes;
  std::uint32_t slot_count;   // slots once decompressed
  std::uint64_t first_seq;
  std::uint32_t flags;        // kChunk* (0 in version 1)
  std::uint32_t reserved;
};
static_assert(sizeof(ChunkHeader) == 32);

}  // namespace memledger
