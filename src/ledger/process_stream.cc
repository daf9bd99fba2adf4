// process_stream.cc — see process_stream.h.
#include "ledger/process_stream.h"

namespace memledger {

std::size_t ProcessStream::Apply(Ledger& ledger, std::span<Event> slots, std::optional<std::uint64_t> drained_at_ns) {
  if (drained_at_ns) times_.BeginBatch(*drained_at_ns, slots.size());
  std::size_t used = 0;
  for (Event& slot : slots) {
    if (ended()) break;
    if (drained_at_ns && !assembler_.mid_record()) slot.time_ns = times_.TimeOf(used);
    ++used;
    const auto record = assembler_.Push(slot);
    if (!record) continue;
    if (record->kind() == EventKind::kProcess && process_record_ == ProcessRecord::kIgnore) {
      ledger.Skip(process_, *record);
      continue;
    }
    if (stop_before_ && stop_before_(*record)) {
      stopped_ = true;
      break;
    }
    ++records_;
    ledger.Apply(process_, *record);
    if (observer_) observer_(process_, *record);
    ended_ = record->kind() == EventKind::kProcessEnd;
  }
  return used;
}

}  // namespace memledger
