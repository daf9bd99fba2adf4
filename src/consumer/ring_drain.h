// ring_drain.h — one process's ring drained into a Ledger: the drain loop the
// embedded consumer (client/) and the server's sessions (server/) share.
// A batch: whole records taken from the ring in order (RingConsumer),
// applied to the ledger stamped with times spread over the interval since
// the previous look at the ring (ledger/drain_times.h: distinct, in sequence
// order; a look that finds nothing reads the clock too) and appended to the
// process's capture file (RecordedStream), then marked processed, so that
// producers may reuse their slots only once the books and the file hold them.
//
// The stream ends in one of four ways, which the caller says (End): the
// process ended its own books (it exits: exited, unless its end record said
// more), it went without its end record (killed), no one will drain it
// while it may live on (abandoned: booked killed here), or it took its ring
// to another consumer (released: its books stop, nothing is lost or ended).
// Either way its capture file is closed then. A process that is gone without
// its end record gets one from the drain, in the books and the capture
// alike, so that the capture says how it ended; an abandoned one's capture
// (or one whose ring another consumer took) ends without it: the process is
// running when the capture ends.
//
// Not thread-safe: one thread drains (the embedded consumer's drain thread,
// the server's loop), and ends the stream.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_writer.h"
#include "consumer/recorded_stream.h"
#include "ledger/ledger.h"
#include "ring/ring_consumer.h"

namespace memledger {

class RingDrain {
 public:
  // Slots drained at most per batch (64 KiB of slots).
  static constexpr std::size_t kBatchSlots = 1024;

  // Drains `ring` as the owner of `epoch` (ring_ownership.h) into the books
  // of `process`, whose own PROCESS record is applied or ignored as
  // `process_record` says. `capture` may be null.
  RingDrain(EventRing& ring, std::uint16_t epoch, ProcessIndex process, ProcessRecord process_record,
            std::unique_ptr<CaptureWriter> capture);

  // One batch, at most `max_slots` (and kBatchSlots) slots: returns how many
  // were drained; 0 when none was ready, the stream has ended, or the ring
  // went to another consumer (consumer().lost()).
  std::size_t DrainBatch(Ledger& ledger, std::size_t max_slots = kBatchSlots);
  // Batches until `budget` slots were drained or DrainBatch drains none.
  std::size_t Drain(Ledger& ledger, std::size_t budget);
  // Writes the capture's pending chunk once it has waited long enough.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now) { recorded_.FlushCaptureIfDue(now); }

  enum class End {
    kExited,     // the process ends its own books: exited (status 0) unless its end record was applied
    kKilled,     // the process is gone without its end record: killed
    kAbandoned,  // no one will drain it, though it may live on (the server stops, its ring faulted): killed here
    kReleased,   // its ring went to another consumer: the books stop (Ledger::ReleaseProcess)
  };
  // Ends the stream's books as `how` says: but for kReleased, the slots
  // abandoned are counted lost, the drops noted and the process ended when
  // its end record was not applied; then what was drained is marked
  // processed and the capture closed. False, with *capture_error, when the
  // capture could not be written whole. Once only.
  bool Finish(Ledger& ledger, End how, std::string* capture_error);

  RingConsumer& consumer() { return consumer_; }
  const RingConsumer& consumer() const { return consumer_; }
  ProcessStream& stream() { return recorded_.stream(); }
  const ProcessStream& stream() const { return recorded_.stream(); }
  // Null when there is none; after Finish, closed (its path and error stay).
  // The current segment of a capture cut into several.
  const CaptureWriter* capture() const { return recorded_.capture(); }
  // RecordedStream::TakeSegmentError.
  std::string TakeSegmentError() { return recorded_.TakeSegmentError(); }

 private:
  // Applies, and appends to the capture, the end record the process did not
  // write: `state`, its drops not counted yet, numbered after what was drained.
  void ApplyEndRecord(Ledger& ledger, ProcessState state);

  RingConsumer consumer_;
  RecordedStream recorded_;
  std::vector<Event> batch_;
};

}  // namespace memledger
