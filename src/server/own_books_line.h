// own_books_line.h — the server's one-line answer to a tracked process that
// asks, as it exits, what its own books say (QueryKind::kOwnBooksLine): its
// pid and command, leaks, anomalies, allocation failures (when any) and
// records dropped or lost. The process prints it on stderr in place of the
// exit report its books would give in embedded mode
// (client/server_exit_line.h).
//
// Thread-safety: reads the ledger; called on the server's loop.
#pragma once

#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace memledger {

// "pid 6325 (memledger-sim) exited: 3 buffers leaked (5.1 MiB), no
// anomalies" ("2 anomalies (double_free 1, overlap 1)") — the latest books of `pid` (a pid the server saw end and
// begin again names its newest process); a sentence saying there are none
// when the server holds no books of it.
std::string OwnBooksLine(const Ledger& ledger, std::uint32_t pid);

}  // namespace memledger
