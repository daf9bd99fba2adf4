// chunk_prefetcher.h — a capture's chunks read, decompressed and turned back
// into slots on a thread of its own, up to kDepth chunks ahead of the thread
// that uses them, so that reading a capture overlaps what is done with it
// (a replay's ledger apply and analysis): a report goes at the speed of the
// slower of the two, not of their sum. Each chunk comes with what the reader
// said when it had read it (bytes read, records missing at the start); what
// was cut or damaged is known once Next says the end (problem()); an
// exception on the reading thread (out of memory) is such an end too.
//
// Memory: at most kDepth + 2 chunks of slots (64 KiB slots each: 4 MiB),
// their buffers reused.
//
// Thread-safety: one thread calls Next and the accessors; the prefetching
// thread owns the CaptureReader until the prefetcher is destroyed, which
// stops it (it may be waiting for room or reading) and joins it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "capture/capture_reader.h"

namespace memledger {

class ChunkPrefetcher {
 public:
  static constexpr std::size_t kDepth = 4;

  struct Chunk {
    std::vector<Event> slots;
    std::uint32_t flags = 0;              // kChunk* (capture_format.h)
    std::uint64_t bytes_read = 0;         // CaptureReader::bytes_read once this chunk was read
    std::uint64_t missing_at_start = 0;   // CaptureReader::missing_at_start then
  };

  // Starts reading `reader` (open, nothing read yet) ahead.
  explicit ChunkPrefetcher(std::unique_ptr<CaptureReader> reader);
  ~ChunkPrefetcher();
  ChunkPrefetcher(const ChunkPrefetcher&) = delete;
  ChunkPrefetcher& operator=(const ChunkPrefetcher&) = delete;

  // The next chunk, the caller's to use (and change) until the next call;
  // null at the end of what is whole (then ended() is true and problem(),
  // write_error() are final).
  Chunk* Next();

  const CaptureInfo& info() const { return info_; }
  std::uint64_t file_bytes() const { return file_bytes_; }
  bool ended() const { return ended_; }
  // CaptureReader::problem and ::write_error at the end; empty and 0 before it.
  const std::string& problem() const { return problem_; }
  int write_error() const { return write_error_; }

 private:
  void Run();

  const CaptureInfo info_;
  const std::uint64_t file_bytes_;
  std::unique_ptr<CaptureReader> reader_;  // the prefetching thread's alone

  std::mutex mutex_;
  std::condition_variable changed_;
  // Guarded by mutex_:
  std::deque<Chunk> ready_;   // read, not taken yet (at most kDepth)
  std::vector<Chunk> spare_;  // taken and given back: buffers to reuse
  bool at_end_ = false;       // the reader said the end: no more chunks come
  bool stop_ = false;         // the prefetcher is going: the thread returns
  std::string end_problem_;
  int end_write_error_ = 0;

  // The calling thread's:
  Chunk taken_;
  bool holds_taken_ = false;
  bool ended_ = false;
  std::string problem_;
  int write_error_ = 0;

  std::thread thread_;  // last: starts once everything above is built
};

}  // namespace memledger
