// recorded_stream.cc — see recorded_stream.h.
#include "consumer/recorded_stream.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <ctime>
#include <filesystem>

#include "ledger/carry_over.h"

namespace memledger {

RecordedStream::RecordedStream(ProcessIndex process, ProcessRecord process_record,
                               std::unique_ptr<CaptureWriter> capture)
    : stream_(process, process_record), capture_(std::move(capture)) {
  if (capture_) segment_start_bytes_ = capture_->bytes_written();
}

std::size_t RecordedStream::Apply(Ledger& ledger, std::span<Event> slots, std::uint64_t taken_at_ns) {
  const std::size_t used = stream_.Apply(ledger, slots, taken_at_ns);
  if (capture_) {
    capture_->Append(slots.first(used));
    RotateIfDue(ledger, taken_at_ns);
  }
  return used;
}

void RecordedStream::RotateIfDue(const Ledger& ledger, std::uint64_t now_ns) {
  const SegmentBounds& bounds = capture_->start().segments.bounds;
  if (!bounds.rotates() || capture_->failed() || stream_.ended() || stream_.mid_record()) return;
  if (segment_start_ns_ == 0) segment_start_ns_ = now_ns;
  const bool full = bounds.max_bytes != 0 &&
                    capture_->bytes_written() - segment_start_bytes_ >= std::max(bounds.max_bytes, kMinSegmentBytes);
  const bool old = bounds.max_ns != 0 && now_ns - segment_start_ns_ >= bounds.max_ns;
  if (full || old) BeginNextSegment(ledger);
}

void RecordedStream::BeginNextSegment(const Ledger& ledger) {
  CaptureStart start = capture_->start();
  CaptureSegment current;  // the first segment, when its start did not say (FirstSegment says)
  current.run_start_unix_ns = start.start_unix_ns;
  if (start.description.segment) current = *start.description.segment;
  if (current.index == std::numeric_limits<std::uint32_t>::max()) return;  // the last index: it goes on here
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  start.start_unix_ns = static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000ULL + now.tv_nsec;
  const CaptureSegment& next_segment = start.description.segment.emplace(
      CaptureSegment{.index = current.index + 1,
                     .run_start_unix_ns = current.run_start_unix_ns,
                     .first_seq = stream_.next_seq(),
                     .previous = std::filesystem::path(capture_->path()).filename()});
  // Books begun part-way stay so in every segment; the frees they missed are
  // each segment's own.
  const Handover& handover = ledger.process(stream_.process()).handover;
  start.description.handover.reset();
  if (handover.joined_late) {
    start.description.handover =
        Handover{.joined_late = true, .handovers = handover.handovers, .records_elsewhere = handover.records_elsewhere};
  }
  const std::string path = SegmentPath(start.segments.pattern, next_segment.index);
  // Opened before the current one closes: a segment that cannot be made
  // leaves the records where they were going.
  std::string error;
  auto next = CaptureWriter::Open(path, start, &error);
  if (!next) {
    // Tried again once the current one has grown by another bound (a full
    // disk may free up; a server out of descriptors may have fewer clients).
    segment_error_ = error + "; the capture goes on in " + capture_->path() + " past its bound";
    segment_start_ns_ = 0;
    segment_start_bytes_ = capture_->bytes_written();
    return;
  }
  // A segment whose last chunk could not be written ends with its marker
  // (capture_writer.h); the next one begins whole, with the books.
  if (!capture_->Close(&error)) segment_error_ = error + "; the records after it are in " + path;
  std::vector<Event> carried;
  AppendDeclaredNames(ledger, stream_.process(), carried);
  AppendLiveBuffers(ledger, stream_.process(), carried);
  next->AppendCarriedOver(carried);
  capture_ = std::move(next);
  segment_start_ns_ = 0;
  segment_start_bytes_ = capture_->bytes_written();
  const std::uint32_t keep = start.segments.bounds.keep;
  if (keep != 0 && next_segment.index > keep) unlink(SegmentPath(start.segments.pattern, next_segment.index - keep).c_str());
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
