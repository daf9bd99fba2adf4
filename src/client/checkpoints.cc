// checkpoints.cc — see checkpoints.h.
#include "client/checkpoints.h"

#include <algorithm>
#include <mutex>
#include <new>
#include <vector>

#include "client/hook_core.h"
#include "client/report_layer_loader.h"
#include "client/server_watch.h"
#include "client/tracking_lifecycle.h"
#include "control/checkpoint_reply.h"
#include "control/handshake.h"
#include "control/server_query.h"
#include "ledger/checkpoint_totals.h"
#include "memledger/memledger.h"

namespace memledger {

static_assert(static_cast<int>(CheckpointStatus::kOff) == MEMLEDGER_E_OFF &&
              static_cast<int>(CheckpointStatus::kUnknown) == MEMLEDGER_E_UNKNOWN_CHECKPOINT &&
              static_cast<int>(CheckpointStatus::kStalled) == MEMLEDGER_E_STALLED &&
              static_cast<int>(CheckpointStatus::kServer) == MEMLEDGER_E_SERVER &&
              static_cast<int>(CheckpointStatus::kArgument) == MEMLEDGER_E_ARGUMENT &&
              static_cast<int>(CheckpointStatus::kReport) == MEMLEDGER_E_REPORT,
              "CheckpointStatus is memledger.h's MEMLEDGER_E_* codes");

namespace {

// The open checkpoints, ascending (seqs are claimed under the lock).
struct OpenCheckpoints {
  std::mutex mutex;
  std::vector<std::uint64_t> seqs;
};

OpenCheckpoints& Open() {
  static auto* open = new OpenCheckpoints();  // never freed: a checkpoint may end during static destruction
  return *open;
}

bool IsOpen(std::uint64_t checkpoint) {
  OpenCheckpoints& open = Open();
  std::lock_guard lock(open.mutex);
  return std::binary_search(open.seqs.begin(), open.seqs.end(), checkpoint);
}

// The answer from `consumer`'s ledger, between two of its batches.
void Answer(EmbeddedConsumer& consumer, const CheckpointQuestion& question, CheckpointReply& reply) {
  consumer.WithLedger([&](const Ledger& ledger, ProcessIndex process) {
    const std::optional<CheckpointView> view = ledger.Since(process, question.checkpoint, question.exclude);
    if (!view) {
      reply.status = CheckpointStatus::kUnknown;  // begun before this consumer's books (a takeover)
      return;
    }
    const CheckpointTotals totals = TotalsOf(*view);
    reply.buffers = totals.buffers;
    reply.bytes = totals.bytes;
    reply.peak_above_begin = totals.peak_above_begin;
    if (question.counts_only) return;
    std::string why;
    const ReportLayer* layer = ReportLayerOrNull(&why);
    CheckpointAnswer answer;
    if (layer == nullptr || !layer->checkpoint_report(ledger, process, *view, question.max_sites, &answer, &why)) {
      reply.status = CheckpointStatus::kReport;
      reply.error = why;
      return;
    }
    reply.json = std::move(answer.json);
    reply.text = std::move(answer.text);
  });
}

// The answer from the server that drains this process's ring (server mode).
void AskServer(const CheckpointQuestion& question, CheckpointReply& reply) {
  reply.status = CheckpointStatus::kServer;
  const std::string* path = ServerSocketPath();
  if (path == nullptr) {
    reply.error = "no consumer drains this process's ring";
    return;
  }
  CheckpointQueryMessage message{};
  message.query = MakeQuery(QueryKind::kCheckpoint);
  message.checkpoint = question.checkpoint;
  message.flags = question.counts_only ? kCheckpointCountsOnly : 0;
  message.max_sites = static_cast<std::uint32_t>(std::min<std::size_t>(question.max_sites, UINT32_MAX));
  message.exclude_count = static_cast<std::uint32_t>(std::min(question.exclude.size(), kMaxCheckpointExcludes));
  for (std::size_t i = 0; i < message.exclude_count; ++i) {
    message.excludes[i] = {question.exclude[i].begin, question.exclude[i].end};
  }
  const std::optional<std::string> text = QueryCheckpoint(*path, message, question.patience, &reply.error);
  if (!text) return;
  std::optional<CheckpointReplyFields> fields = DecodeCheckpointReply(*text);
  const bool known = fields && (fields->status == static_cast<int>(CheckpointStatus::kOk) ||
                                fields->status == static_cast<int>(CheckpointStatus::kUnknown));
  if (!known) {
    reply.error = "the server at " + *path + " answered something that is not a checkpoint's answer";
    return;
  }
  reply.status = static_cast<CheckpointStatus>(fields->status);
  reply.buffers = fields->buffers;
  reply.bytes = fields->bytes;
  reply.peak_above_begin = fields->peak_above_begin;
  if (reply.status != CheckpointStatus::kOk) {
    reply.error = std::move(fields->text);
    return;
  }
  reply.json = std::move(fields->json);
  reply.text = std::move(fields->text);
}

}  // namespace

std::uint64_t BeginCheckpoint() {
  OpenCheckpoints& open = Open();
  std::lock_guard lock(open.mutex);
  if (open.seqs.size() >= kMaxOpenCheckpoints) return 0;
  const std::uint64_t seq = Emit(MakeEvent(EventKind::kCheckpoint, 0, 0, 0, 0, 0));
  if (seq != 0) open.seqs.push_back(seq);
  return seq;
}

bool EndCheckpoint(std::uint64_t checkpoint) {
  OpenCheckpoints& open = Open();
  std::lock_guard lock(open.mutex);
  const auto it = std::lower_bound(open.seqs.begin(), open.seqs.end(), checkpoint);
  if (it == open.seqs.end() || *it != checkpoint) return false;
  open.seqs.erase(it);
  // A full ring under MEMLEDGER_ON_FULL=drop may refuse it: the ledger then
  // keeps the checkpoint open until its 64 are taken; the next Begin there
  // fails, and queries of ended checkpoints are refused here.
  Emit(MakeEvent(EventKind::kCheckpointEnd, 0, 0, checkpoint, 0, 0));
  return true;
}

CheckpointReply QueryCheckpoint(const CheckpointQuestion& question) {
  CheckpointReply reply;
  try {
    if (!IsOpen(question.checkpoint)) {
      reply.status = CheckpointStatus::kUnknown;
      return reply;
    }
    if (!WaitProcessed(DrainPatience{question.patience})) {
      reply.status = CheckpointStatus::kStalled;
      return reply;
    }
    bool answered_here = false;
    WithInProcessConsumer([&](EmbeddedConsumer* consumer) {
      if (consumer == nullptr) return;
      Answer(*consumer, question, reply);
      answered_here = true;
    });
    // Not under the handover lock: the server may take its time, and the
    // watcher must stay free to take the ring over if it stops draining.
    if (!answered_here) AskServer(question, reply);
  } catch (const std::bad_alloc&) {
    reply = CheckpointReply{};
    reply.status = CheckpointStatus::kReport;
    reply.error = "out of memory";
  }
  return reply;
}

}  // namespace memledger
