// recorded_stream.h — one process's records applied to a Ledger in order
// (ProcessStream, each stamped with a time of its own when taken in) and
// appended, as applied, to the process's capture file when it has one: what
// every consumer of a live process does with what it takes in — the ring's
// (ring_drain.h) and the legacy protocol's socket (server/legacy_session.h).
// So a capture holds exactly what the books applied, in their order, and
// replays into the same books.
//
// Not thread-safe: one thread applies, flushes and closes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

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
  // was applied to the capture; returns the slots used.
  std::size_t Apply(Ledger& ledger, std::span<Event> slots, std::uint64_t taken_at_ns);
  // Writes the capture's pending chunk once it has waited kCaptureFlushInterval.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now);
  // Closes the capture (when there is one): false, with *error, when it could
  // not be written whole. The writer stays, closed, for its path.
  bool CloseCapture(std::string* error);

  ProcessStream& stream() { return stream_; }
  const ProcessStream& stream() const { return stream_; }
  const CaptureWriter* capture() const { return capture_.get(); }

 private:
  ProcessStream stream_;
  std::unique_ptr<CaptureWriter> capture_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace memledger
