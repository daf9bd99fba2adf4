// checkpoint_answer.cc — see checkpoint_answer.h.
#include "server/checkpoint_answer.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "control/checkpoint_reply.h"
#include "ledger/checkpoint_totals.h"
#include "memledger/memledger.h"
#include "report/checkpoint_report.h"

namespace memledger {

std::string CheckpointReplyText(const Ledger& ledger, std::uint32_t pid, const CheckpointQueryMessage& query,
                                SiteStacks& stacks) {
  CheckpointReplyFields reply;
  const std::vector<ProcessBooks>& processes = ledger.processes();
  const auto books = std::find_if(processes.rbegin(), processes.rend(), [&](const ProcessBooks& p) {
    return p.pid == pid && p.state == ProcessState::kRunning;
  });
  if (books == processes.rend()) {
    reply.status = MEMLEDGER_E_UNKNOWN_CHECKPOINT;
    reply.text = fmt::format("the server holds no running books of pid {}", pid);
    return EncodeCheckpointReply(reply);
  }
  const auto process = static_cast<ProcessIndex>(std::distance(books, processes.rend()) - 1);
  SeqRange excludes[kMaxCheckpointExcludes];
  const std::size_t exclude_count = std::min<std::size_t>(query.exclude_count, kMaxCheckpointExcludes);
  for (std::size_t i = 0; i < exclude_count; ++i) excludes[i] = {query.excludes[i].begin, query.excludes[i].end};
  const std::optional<CheckpointView> view =
      ledger.Since(process, query.checkpoint, std::span<const SeqRange>(excludes, exclude_count));
  if (!view) {
    reply.status = MEMLEDGER_E_UNKNOWN_CHECKPOINT;
    reply.text = fmt::format("checkpoint {} is not open in the server's books of pid {} (ended, or begun before the "
                             "server took the process's stream)",
                             query.checkpoint, pid);
    return EncodeCheckpointReply(reply);
  }
  const CheckpointTotals totals = TotalsOf(*view);
  reply.buffers = totals.buffers;
  reply.bytes = totals.bytes;
  reply.peak_above_begin = totals.peak_above_begin;
  if ((query.flags & kCheckpointCountsOnly) == 0) {
    CheckpointAnswer answer = CheckpointReport(ledger, process, *view, stacks, std::max<std::uint32_t>(query.max_sites, 1));
    reply.json = std::move(answer.json);
    reply.text = std::move(answer.text);
  }
  return EncodeCheckpointReply(reply);
}

}  // namespace memledger
