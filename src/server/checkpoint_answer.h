// checkpoint_answer.h — the server's answer to a tracked process's
// checkpoint query (QueryKind::kCheckpoint, memledger_query_checkpoint in
// server mode): Ledger::Since on the newest running books of the asking
// pid — SO_PEERCRED's, so a process asks of its own books only — rendered
// as report/checkpoint_report.h renders it, encoded as
// control/checkpoint_reply.h says. The asker waited until the server
// applied everything it published before asking.
//
// Thread-safety: reads the ledger; called on the server's loop.
#pragma once

#include <cstdint>
#include <string>

#include "control/wire_protocol.h"
#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

// `query` passed CheckQuery and CheckCheckpointQuery.
std::string CheckpointReplyText(const Ledger& ledger, std::uint32_t pid, const CheckpointQueryMessage& query,
                                SiteStacks& stacks);

}  // namespace memledger
