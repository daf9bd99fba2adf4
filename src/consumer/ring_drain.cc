// ring_drain.cc — see ring_drain.h.
#include "consumer/ring_drain.h"

#include <algorithm>

#include "event/monotonic_clock.h"

namespace memledger {

RingDrain::RingDrain(EventRing& ring, std::uint16_t epoch, ProcessIndex process, ProcessRecord process_record,
                     std::unique_ptr<CaptureWriter> capture)
    : consumer_(ring, epoch), recorded_(process, process_record, std::move(capture)), batch_(kBatchSlots) {
  stream().Looked(MonotonicNs());  // the first batch's times begin when its consumer does
}

std::size_t RingDrain::DrainBatch(Ledger& ledger, std::size_t max_slots) {
  if (stream().ended()) return 0;
  const std::size_t n = consumer_.Drain(std::span(batch_).first(std::min(batch_.size(), max_slots)));
  if (n == 0) {
    stream().Looked(MonotonicNs());  // the next batch's times begin here (drain_times.h)
    return 0;
  }
  recorded_.Apply(ledger, std::span(batch_).first(n), MonotonicNs());
  consumer_.MarkProcessed();
  return n;
}

std::size_t RingDrain::Drain(Ledger& ledger, std::size_t budget) {
  std::size_t drained = 0;
  while (drained < budget) {
    const std::size_t n = DrainBatch(ledger, budget - drained);
    if (n == 0) break;
    drained += n;
  }
  return drained;
}

void RingDrain::ApplyEndRecord(Ledger& ledger, ProcessState state) {
  const std::uint64_t counted = ledger.process(stream().process()).dropped_events;
  // The end record (event_kind.h): the state in `type`, the exit status in
  // `buffer_id`, drops in `size`; lost slots are the sequence's gap before it.
  Event end{};
  end.seq = consumer_.next_seq();
  end.kind = static_cast<std::uint8_t>(EventKind::kProcessEnd);
  end.type = static_cast<std::uint8_t>(state);
  end.buffer_id = static_cast<std::uint64_t>(state == ProcessState::kKilled ? -1 : 0);
  end.size = consumer_.dropped() > counted ? consumer_.dropped() - counted : 0;
  recorded_.Apply(ledger, std::span(&end, 1), MonotonicNs());
}

bool RingDrain::Finish(Ledger& ledger, End how, std::string* capture_error) {
  const ProcessIndex process = stream().process();
  if (how == End::kReleased) {
    ledger.ReleaseProcess(process);
  } else {
    // Drained strictly in sequence: every gap the assembler saw is an abandoned slot.
    ledger.CountLost(process, consumer_.abandoned_slots());
    if (!stream().ended()) {
      const ProcessState state = how == End::kExited ? ProcessState::kExited : ProcessState::kKilled;
      if (how == End::kAbandoned || consumer_.lost()) {
        // It may live on: the capture ends without an end record.
        ledger.EndProcess(process, state, state == ProcessState::kKilled ? -1 : 0);
      } else {
        ApplyEndRecord(ledger, state);
      }
    }
    ledger.NoteDropped(process, consumer_.dropped());
    consumer_.MarkProcessed();
  }
  return recorded_.CloseCapture(capture_error);
}

}  // namespace memledger
