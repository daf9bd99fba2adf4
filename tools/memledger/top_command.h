// top_command.h — `memledger top`: a live view of a running server's books,
// refreshed every `interval_ms` (at most 100 ms by default).
#pragma once

#include <string>

namespace memledger {

struct TopOptions {
  std::string socket;     // empty: the default path
  int interval_ms = 100;
};

int TopCommand(const TopOptions& options);

}  // namespace memledger
