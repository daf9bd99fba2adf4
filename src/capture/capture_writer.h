// capture_writer.h — streams slots into a capture file, one zstd chunk at a
// time: a chunk is written when it is full or when Flush() is called, so a
// crash loses at most the chunk in memory. The file begins with the fixed
// header and the description (capture_description.h).
//
// A write that fails (a full disk) ends the file: it is cut back to its
// last whole chunk, a write-failed marker (capture_format.h) is appended
// when there is room for its 32 bytes, so that readers tell "its writer
// could not write the rest" from "its process was killed", and nothing
// more is written; failed() and error() say so from then on.
//
// Not thread-safe: one writer thread (the consumer).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "capture/capture_description.h"
#include "capture/capture_segments.h"
#include "event/event.h"

struct ZSTD_CCtx_s;

namespace memledger {

// Who the capture is of and who writes it.
struct CaptureStart {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t start_unix_ns = 0;  // CLOCK_REALTIME when tracking began
  CaptureDescription description;
  // How the capture is cut into segments (consumer/recorded_stream.h does
  // it); bounds that do not rotate: one file. When it rotates, the file is
  // segment description.segment->index of the plan's pattern.
  SegmentPlan segments{};
};

// Makes `start` the first segment of a capture cut within `bounds` and
// returns where that segment goes (SegmentPattern(path), index 1); leaves
// `start` and returns `path` when the bounds do not rotate.
std::string FirstSegment(CaptureStart& start, const std::string& path, const SegmentBounds& bounds);

class CaptureWriter {
 public:
  // Opens (truncates) `path` and writes the header. Returns nullptr and sets
  // *error (the path and strerror) on failure, leaving an empty file when
  // the header could not be written.
  static std::unique_ptr<CaptureWriter> Open(const std::string& path, const CaptureStart& start, std::string* error);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  void Append(std::span<const Event> slots);
  // Writes `slots` (a carried-over stream, carry_over.h) as a chunk of its
  // own, flagged so that a replay books them as carried over.
  void AppendCarriedOver(std::span<const Event> slots);
  // Writes the pending chunk. False once a write failed.
  bool Flush();
  // Writes the pending chunk and closes; false (and *error) when the file
  // is incomplete.
  bool Close(std::string* error);
  const std::string& path() const { return path_; }
  // What Open was given: whose capture, and how it goes on in segments.
  const CaptureStart& start() const { return start_; }
  // The file's length up to its last whole chunk.
  std::uint64_t bytes_written() const { return bytes_written_; }
  bool failed() const { return !error_.empty(); }
  // Why the file is incomplete: "cannot write capture file PATH: strerror"; empty while it is whole.
  const std::string& error() const { return error_; }

 private:
  CaptureWriter(int fd, std::string path, CaptureStart start);
  bool WriteChunk(std::uint32_t flags = 0);
  // Ends the file at its last whole chunk with the write-failed marker
  // (room permitting) for the records from `first_missing_seq` on.
  void Fail(int error, std::uint64_t first_missing_seq);

  int fd_;
  std::string path_;
  CaptureStart start_;
  ZSTD_CCtx_s* zstd_;
  std::vector<Event> pending_;
  std::vector<unsigned char> columns_;  // pending_ as columns (slot_columns.h), then compressed
  std::vector<char> compressed_;
  std::uint64_t bytes_written_ = 0;
  std::string error_;
};

}  // namespace memledger
