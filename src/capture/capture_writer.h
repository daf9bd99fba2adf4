// capture_writer.h — streams slots into a capture file, one zstd chunk at a
// time: a chunk is written when it is full or when Flush() is called, so a
// crash loses at most the chunk in memory. The file begins with the fixed
// header and the description (capture_description.h).
//
// Not thread-safe: one writer thread (the consumer).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "capture/capture_description.h"
#include "event/event.h"

struct ZSTD_CCtx_s;

namespace memledger {

// Who the capture is of and who writes it.
struct CaptureStart {
  std::uint32_t pid = 0;
  std::string comm;
  std::uint64_t start_unix_ns = 0;  // CLOCK_REALTIME when tracking began
  CaptureDescription description;
};

class CaptureWriter {
 public:
  // Opens (truncates) `path`. Returns nullptr and sets *error on failure.
  static std::unique_ptr<CaptureWriter> Open(const std::string& path, const CaptureStart& start, std::string* error);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  void Append(std::span<const Event> slots);
  // Writes `slots` (a carried-over stream, carry_over.h) as a chunk of its
  // own, flagged so that a replay books them as carried over.
  void AppendCarriedOver(std::span<const Event> slots);
  // Writes the pending chunk and flushes the file. False after a write error.
  bool Flush();
  // Flushes and closes; reports a write error.
  bool Close(std::string* error);
  const std::string& path() const { return path_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  CaptureWriter(std::FILE* file, std::string path);
  bool WriteChunk(std::uint32_t flags = 0);

  std::FILE* file_;
  std::string path_;
  ZSTD_CCtx_s* zstd_;
  std::vector<Event> pending_;
  std::vector<char> compressed_;
  std::uint64_t bytes_written_ = 0;
  bool failed_ = false;
};

}  // namespace memledger
