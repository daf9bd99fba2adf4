// checkpoints.h — this process's checkpoints, for a leak gate (memledger.h:
// memledger_checkpoint_begin / _end / memledger_query_checkpoint): which
// are open, and the query that asks the ledger draining this process's
// ring (ledger/checkpoints.h: Ledger::Since) what was allocated after one
// and is still live.
//
// A checkpoint is the seq of its CHECKPOINT record, so "after" is exact
// without a flush at begin: the record takes its place in the process's
// one ordered stream. A query first waits until everything published
// before it is in the ledger (WaitProcessed), then reads the ledger between
// two of the drain thread's batches (EmbeddedConsumer::WithLedger) and has
// the report layer render the answer (report_layer.h), so a leak found is
// never one the drain had not applied yet, and a free published before the
// query is never missed.
//
// Server mode: the same question goes to the server that drains the ring
// (control/server_query.h, QueryKind::kCheckpoint), which answers from its
// books of this process (server/checkpoint_answer.h) after the same wait
// here; kServer when it cannot be asked or answers nonsense. A checkpoint
// begun before the ring changed hands is not open in the new consumer's
// books: kUnknown.
//
// Thread-safety: any thread. The table of open checkpoints is under its
// own lock, taken only with tracking on (the fork policy:
// tracking_lifecycle.h). A query holds the ring's handover lock
// (server_watch.h) while it reads the ledger.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "ledger/checkpoints.h"

namespace memledger {

// memledger.h's MEMLEDGER_E_* values.
enum class CheckpointStatus : int {
  kOk = 0,
  kOff = -1,
  kUnknown = -2,
  kStalled = -3,
  kServer = -4,
  kArgument = -5,
  kReport = -6,
};

inline constexpr std::size_t kMaxOpenCheckpoints = CheckpointBooks::kMaxOpen;

// Emits a CHECKPOINT record and keeps it open: its seq, or 0 when
// kMaxOpenCheckpoints are open (or the ring dropped the record). Tracking on.
std::uint64_t BeginCheckpoint();
// Emits its CHECKPOINT_END; false when `checkpoint` is not open here.
bool EndCheckpoint(std::uint64_t checkpoint);

struct CheckpointQuestion {
  std::uint64_t checkpoint = 0;
  std::span<const SeqRange> exclude{};
  bool counts_only = false;
  std::size_t max_sites = 10;
  std::chrono::milliseconds patience{10000};  // for a drain that makes no progress
};

struct CheckpointReply {
  CheckpointStatus status = CheckpointStatus::kOk;
  std::uint64_t buffers = 0;
  std::uint64_t bytes = 0;
  std::uint64_t peak_above_begin = 0;  // the highest over device x type
  std::string json;                    // memledger.checkpoint/1; empty with counts_only
  std::string text;                    // empty with counts_only
  std::string error;                   // an error: why, when there is more to say than the status
};

// Tracking on. Never throws.
CheckpointReply QueryCheckpoint(const CheckpointQuestion& question);

}  // namespace memledger
