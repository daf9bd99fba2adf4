// process_stream.h — one process's slot stream (from its ring or its capture
// file) applied to the Ledger in order: records reassembled, optionally
// stamped with the time they were drained, applied until the process's end
// record. The one loop the embedded consumer, the server and the offline
// replay share. A live stream's times are its DrainTimes (drain_times.h):
// distinct, increasing with sequence, each within its batch's drain interval.
//
// The stream's own PROCESS record (pid, comm) is applied when the stream is
// the process's own word (embedded mode, a capture file) and ignored when it
// comes from a process the reader does not trust (the server, which knows the
// peer from SO_PEERCRED).
//
// Not thread-safe: one consumer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "event/record.h"
#include "ledger/drain_times.h"
#include "ledger/ledger.h"

namespace memledger {

enum class ProcessRecord { kApply, kIgnore };

class ProcessStream {
 public:
  ProcessStream(ProcessIndex process, ProcessRecord process_record)
      : process_(process), process_record_(process_record) {}

  // Applies `slots` in order. With `drained_at_ns` (a batch just taken from
  // a live process), each record's time is its place in the batch spread
  // over the time since the previous look (DrainTimes; its header slot is
  // stamped in place, so a capture keeps the time); without, the recorded
  // times stay. Stops after the end record; returns how many slots it consumed.
  std::size_t Apply(Ledger& ledger, std::span<Event> slots, std::optional<std::uint64_t> drained_at_ns);
  // The consumer looked for records at `now_ns` and found none: the next
  // batch's times begin after it.
  void Looked(std::uint64_t now_ns) { times_.Looked(now_ns); }

  // Called with every record, and the process it is of, right after the
  // ledger applied it (the lifecycle log, exports); none by default.
  using Observer = std::function<void(ProcessIndex, const Record&)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  // Asked before each record is applied; true stops the stream there, that
  // record not applied (a report's --until); none by default.
  using StopBefore = std::function<bool(const Record&)>;
  void set_stop_before(StopBefore stop_before) { stop_before_ = std::move(stop_before); }

  // The process's end record was applied, or the stream was stopped.
  bool ended() const { return ended_ || stopped_; }
  bool stopped() const { return stopped_; }
  // True while a record's continuation slots are still to come.
  bool mid_record() const { return assembler_.mid_record(); }
  // The sequence number the next slot must have; 0 before the first.
  std::uint64_t next_seq() const { return assembler_.next_seq(); }
  std::uint64_t records() const { return records_; }
  const AssemblerErrors& errors() const { return assembler_.errors(); }
  ProcessIndex process() const { return process_; }

 private:
  ProcessIndex process_;
  ProcessRecord process_record_;
  RecordAssembler assembler_;
  DrainTimes times_;
  std::uint64_t records_ = 0;
  bool ended_ = false;
  bool stopped_ = false;
  Observer observer_;
  StopBefore stop_before_;
};

}  // namespace memledger
