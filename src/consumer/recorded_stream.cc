// recorded_stream.cc — see recorded_stream.h.
#include "consumer/recorded_stream.h"

namespace memledger {

RecordedStream::RecordedStream(ProcessIndex process, ProcessRecord process_record,
                               std::unique_ptr<CaptureWriter> capture)
    : stream_(process, process_record), capture_(std::move(capture)) {}

std::size_t RecordedStream::Apply(Ledger& ledger, std::span<Event> slots, std::uint64_t taken_at_ns) {
  const std::size_t used = stream_.Apply(ledger, slots, taken_at_ns);
  if (capture_) capture_->Append(slots.first(used));
  return used;
}

void RecordedStream::FlushCaptureIfDue(std::chrono::steady_clock::time_point now) {
  if (!capture_ || now - last_flush_ < kCaptureFlushInterval) return;
  last_flush_ = now;
  capture_->Flush();
}

bool RecordedStream::CloseCapture(std::string* error) {
  error->clear();
  return !capture_ || capture_->Close(error);
}

}  // namespace memledger
