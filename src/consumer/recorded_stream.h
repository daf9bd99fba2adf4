// recorded_stream.h — one process's records applied to a Ledger in order
// (ProcessStream, each stamped with a time of its own when taken in) and
// appended, as applied, to the process's capture file when it has one: what
// every consumer of a live process does with what it takes in — the ring's
// (ring_drain.h) and the legacy protocol's socket (server/legacy_session.h).
// So a capture holds exactly what the books applied, in their order, and
// replays into the same books.
//
// A capture whose start says it rotates (CaptureStart::segments) is cut
// into segments here: once the segment's records fill its bound of bytes or
// of time, and only between whole records, the next segment is opened, its
// description naming its index, its first record and the one before; its
// first chunk is the books as they are (carry_over.h: names, open devices,
// live buffers), and the records go on there. Then the segment before is
// closed whole; when a plan keeps K segments, the one K back is removed. A
// next segment that cannot be created leaves the records in the current one
// (TakeSegmentError() says why; tried again once the current one has grown
// by another bound), so nothing is lost at a seam.
//
// Not thread-safe: one thread applies, flushes and closes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "capture/capture_writer.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"

namespace memledger {

class RecordedStream {
 public:
  // How long the capture's pending chunk may wait (FlushCaptureIfDue): a
  // consumer killed later loses at most about this much of it.
  static constexpr auto kCaptureFlushInterval = std::chrono::seconds(1);

  // The books of `process`, whose own PROCESS record is applied or ignored as
  // `process_record` says; `capture` may be null.
  RecordedStream(ProcessIndex process, ProcessRecord process_record, std::unique_ptr<CaptureWriter> capture);

  // Applies `slots` (stamped in place, as ProcessStream::Apply says, for a
  // batch taken in at `taken_at_ns`) up to the end record and appends what
  // was applied to the capture, then begins its next segment when this one
  // is full; returns the slots used.
  std::size_t Apply(Ledger& ledger, std::span<Event> slots, std::uint64_t taken_at_ns);
  // Writes the capture's pending chunk once it has waited kCaptureFlushInterval.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now);
  // Closes the capture (when there is one): false, with *error, when it could
  // not be written whole. The writer stays, closed, for its path.
  bool CloseCapture(std::string* error);

  ProcessStream& stream() { return stream_; }
  const ProcessStream& stream() const { return stream_; }
  // The capture's current segment (its only file when it does not rotate).
  const CaptureWriter* capture() const { return capture_.get(); }
  // What went wrong at a seam since the last call, for the consumer to say:
  // the next segment could not be created (the capture goes on in the
  // current one, past its bound), or the one before could not be finished;
  // empty when nothing did.
  std::string TakeSegmentError() { return std::exchange(segment_error_, {}); }

 private:
  // Between whole records: opens the next segment once this one is past its bounds.
  void RotateIfDue(const Ledger& ledger, std::uint64_t now_ns);
  // Opens the next segment, its first chunk `ledger`'s books of the process,
  // and closes the current one (removing the one `keep` back).
  void BeginNextSegment(const Ledger& ledger);

  ProcessStream stream_;
  std::unique_ptr<CaptureWriter> capture_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
  std::uint64_t segment_start_ns_ = 0;     // when the current segment's first records were taken in; 0: none yet
  std::uint64_t segment_start_bytes_ = 0;  // its file's length before its records (after the carried-over chunk)
  std::string segment_error_;
};

}  // namespace memledger
