// capture_reader.h — reads a capture file chunk by chunk. A damaged or cut
// file yields every whole chunk before the damage, then stops and says what
// was cut (problem()); it never guesses past it. Chunks of the process's
// stream follow each other in sequence: a chunk that goes back, or that
// leaves records out after the first, is damage too; records missing before
// the first are told (missing_at_start()) for the replay to begin part-way.
//
// Not thread-safe: one reader.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_description.h"
#include "event/event.h"

struct ZSTD_DCtx_s;

namespace memledger {
struct ChunkHeader;
}

namespace memledger {

struct CaptureInfo {
  std::uint32_t version = 0;
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t start_unix_ns = 0;
  CaptureDescription description;  // version 1 files: the defaults (embedded)
};

class CaptureReader {
 public:
  // Opens `path` and reads its header. Returns nullptr and sets *error when
  // the file cannot be read or is not a capture this build understands.
  static std::unique_ptr<CaptureReader> Open(const std::string& path, std::string* error);
  ~CaptureReader();
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;

  // Replaces *slots with the next chunk's slots and *flags (may be null) with
  // its kChunk* flags. False at the end of the file or at the first damaged
  // chunk (then problem() is non-empty).
  bool NextChunk(std::vector<Event>* slots, std::uint32_t* flags = nullptr);

  const CaptureInfo& info() const { return info_; }
  // Empty when everything read so far was whole; else what was cut and where.
  const std::string& problem() const { return problem_; }
  std::uint64_t chunks_read() const { return chunks_; }
  std::uint64_t bytes_read() const { return offset_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  // Records before the first chunk of the stream (its first sequence number
  // less one): 0 for a stream read from its start. Known once that chunk is read.
  std::uint64_t missing_at_start() const { return missing_at_start_; }
  // The errno with which the writer said it could not write the rest (a
  // write-failed marker, capture_format.h); 0 when the file does not say so.
  int write_error() const { return write_error_; }

 private:
  CaptureReader(std::FILE* file, std::string path, std::uint64_t file_bytes);
  bool Fail(std::string problem);
  // NextChunk, but *slots is left unspecified (resized, part written) when
  // it returns false: NextChunk clears it.
  bool ReadChunk(std::vector<Event>* slots, std::uint32_t* flags);
  // Checks that a stream chunk follows the one before it; false (and Fail) when not.
  bool FollowsInSequence(const ChunkHeader& header, const std::vector<Event>& slots);

  std::FILE* file_;
  std::string path_;
  ZSTD_DCtx_s* zstd_;
  CaptureInfo info_;
  std::uint64_t file_bytes_;
  std::uint64_t offset_ = 0;
  std::uint64_t chunks_ = 0;
  std::uint64_t next_seq_ = 0;  // the sequence number the next stream chunk starts at; 0: none read yet
  std::uint64_t missing_at_start_ = 0;
  int write_error_ = 0;
  std::string problem_;
  std::vector<char> compressed_;
  std::vector<unsigned char> columns_;  // a columns chunk decompressed (slot_columns.h)
};

}  // namespace memledger
