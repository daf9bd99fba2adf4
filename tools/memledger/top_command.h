// top_command.h — `memledger top`: a live view of a running server's books,
// refreshed every `interval_ms` (at most 100 ms by default). While no server
// answers (none yet, or it went away) it says where it waits and why, and
// asks again every interval: until q, or until `wait` has passed without an
// answer, when it exits 1 with the reason on stderr (`wait` 0: one try,
// before the terminal is taken).
#pragma once

#include <string>

namespace memledger {

struct TopOptions {
  std::string socket;     // empty: the default path
  int interval_ms = 100;
  std::string wait;       // --wait, a time (event/quantity_text.h); empty: for ever
};

// 0 when q quits; 1 when --wait ran out.
int TopCommand(const TopOptions& options);

}  // namespace memledger
