// checkpoints.h — CheckpointBooks: one process's open checkpoints and what
// the ledger needs to answer, for any of them, "which buffers did the process
// allocate after it that are still live, and how high did its usage go
// since" — the question a leak gate in a test suite asks (issue 17).
//
// A checkpoint is a CHECKPOINT record: its seq S. The process's records are
// applied in seq order, so "after S" is "applied after the record": a buffer
// whose ALLOC has seq > S. The books are
//   - a young log: (seq, key) of every buffer allocated since the oldest open
//     checkpoint, in seq order; a release marks its entry dead (found by seq,
//     a binary search), so a query reads the live entries at and after S and
//     never walks the process's older buffers;
//   - per open checkpoint, per (device, type) of the process's counters: its
//     live bytes when the checkpoint began and the highest they reached until
//     the next checkpoint began (the newest's runs in TypeCounters::window_peak).
//
// Cost: none while the process has no open checkpoint (the ledger keeps no
// books for it). While one is open: a push_back per allocation; per release
// of a buffer allocated since the oldest, a binary search; the dead entries
// go when they outnumber the live ones (amortized O(1) per allocation), and
// all of them at once when nothing young is live. Since(): O(log entries +
// entries at and after S), entries <= 2 x young live + kLogSlack.
//
// Invariants: open() ascending by seq, at most kMaxOpen; the log ascending by
// seq, every entry's seq >= the oldest open checkpoint's; young_live() = the
// live entries. Not thread-safe: owned by one Ledger, driven by its thread.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "ledger/accounting.h"
#include "ledger/live_buffers.h"

namespace memledger {

// Seqs [begin, end): allocations a query leaves out (not the caller's).
struct SeqRange {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  bool contains(std::uint64_t seq) const { return seq >= begin && seq < end; }
};

// One (ledger-wide device, ledger-wide type) of a process since a checkpoint: its bytes.
struct CheckpointPeak {
  std::uint16_t device = 0;
  std::uint16_t type = 0;
  std::uint64_t at_begin = 0;  // live when the checkpoint began
  std::uint64_t peak = 0;      // the highest since (at least at_begin and now)
  std::uint64_t now = 0;
};

// What a process allocated after one of its checkpoints and still holds,
// oldest first, and its bytes per (device, type) since (Ledger::Since).
struct CheckpointView {
  std::uint64_t checkpoint = 0;
  std::vector<std::pair<LiveKey, LiveBuffer>> live;
  std::vector<CheckpointPeak> peaks;
};

// The process's counters, by ledger-wide device (ProcessBooks::devices).
using ProcessCounterTables = std::vector<std::unique_ptr<TypeCounterTable>>;

class CheckpointBooks {
 public:
  static constexpr std::size_t kMaxOpen = 64;
  static constexpr std::size_t kLogSlack = 1024;

  // A buffer allocated since a checkpoint, by the seq of its ALLOC.
  struct Young {
    std::uint64_t seq;
    LiveKey key;
  };

  // A checkpoint at `seq`; its peaks begin from `counters` (the process's),
  // whose window peaks restart at their live bytes. False (nothing changes)
  // when kMaxOpen are open or `seq` is not above the newest open one's.
  bool Begin(std::uint64_t seq, ProcessCounterTables& counters);
  // Ends checkpoint `seq`: its peaks go to the one before it (which covers its
  // span from now on), its log entries to whichever still needs them. False
  // when `seq` is not open. `counters` as for Begin.
  bool End(std::uint64_t seq, ProcessCounterTables& counters);
  bool empty() const { return open_.empty(); }
  bool IsOpen(std::uint64_t seq) const;

  // A buffer became live (its ALLOC's seq, after every open checkpoint's).
  void OnAlloc(std::uint64_t seq, const LiveKey& key);
  // A buffer allocated at `seq` is live no more (freed, leaked, replaced, ...).
  void OnRelease(std::uint64_t seq);

  // The live buffers allocated after open checkpoint `seq`, oldest first.
  std::vector<Young> LiveSince(std::uint64_t seq) const;
  // The process's bytes per (device, type) since open checkpoint `seq`,
  // from `counters` (the process's), in (device, type) order: the ones with
  // any bytes at its begin, since or now.
  std::vector<CheckpointPeak> PeaksSince(std::uint64_t seq, const ProcessCounterTables& counters) const;

  std::size_t young_live() const { return young_live_; }
  std::size_t log_size() const { return seqs_.size(); }  // entries kept, live or dead
  // The oldest open checkpoint (open: not empty()).
  std::uint64_t oldest() const { return open_.front().seq; }

 private:
  struct Span {
    std::uint64_t at_begin = 0;
    std::uint64_t max_to_next = 0;  // the highest until the next checkpoint began (not for the newest)
  };
  struct Segment {
    std::uint64_t seq;
    absl::flat_hash_map<std::uint32_t, Span> spans;  // by device << 16 | type
  };
  std::vector<Segment>::const_iterator Find(std::uint64_t seq) const;
  void ClearLog();
  // The index of the first seq >= `seq` (seqs_ holds one: front <= seq <= back).
  std::size_t Locate(std::uint64_t seq) const;

  // The young log, as two columns: each entry's seq (ascending: searched by
  // OnRelease and LiveSince) and its key with whether it is still live.
  struct Entry {
    LiveKey key;
    bool live;
  };
  std::vector<Segment> open_;
  std::vector<std::uint64_t> seqs_;
  std::vector<Entry> log_;
  std::size_t young_live_ = 0;
};

}  // namespace memledger
