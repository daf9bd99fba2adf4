// capture_writer.h — streams slots into a capture file, one zstd chunk at a
// time: a chunk is written when it is full or when Flush() is called, so a
// crash loses at most the chunk in memory.
//
// Not thread-safe: one writer thread (the consumer).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "event/event.h"

struct ZSTD_CCtx_s;

namespace memledger {

class CaptureWriter {
 public:
  // Opens (truncates) `path`. Returns nullptr and sets *error on failure.
  static std::unique_ptr<CaptureWriter> Open(const std::string& path, std::uint32_t pid, const std::string& comm,
                                             std::uint64_t start_unix_ns, std::string* error);
  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  void Append(std::span<const Event> slots);
  // Writes the pending chunk and flushes the file. False after a write error.
  bool Flush();
  // Flushes and closes; reports a write error.
  bool Close(std::string* error);
  const std::string& path() const { return path_; }
  std::uint64_t bytes_written() const { return bytes_written_; }

 private:
  CaptureWriter(std::FILE* file, std::string path);
  bool WriteChunk();

  std::FILE* file_;
  std::string path_;
  ZSTD_CCtx_s* zstd_;
  std::vector<Event> pending_;
  std::vector<char> compressed_;
  std::uint64_t bytes_written_ = 0;
  bool failed_ = false;
};

}  // namespace memledger
