// legacy_dump.h — the text DUMP_REMAINING and DUMP_KERNELS print on the
// server's log: every buffer the legacy connections still hold, one line
// each (id, size, pid, references), grouped by device and memory type, as the
// old tracker listed its remaining buffers.
//
// Free functions; thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "legacy/legacy_references.h"

namespace memledger::legacy {

// A buffer a legacy connection holds, and whose it is.
struct HeldBy {
  pid_t pid = 0;
  HeldBuffer buffer;
};

// "DUMP_REMAINING from pid 42: 3 buffers (1.2 MiB) held by legacy clients"
// and a line per buffer, ordered by device, memory type, id and pid; past
// `max_lines` buffers, one line says how many more there are and their bytes.
std::string FormatDump(std::string_view request, pid_t requester, std::vector<HeldBy> held, std::size_t max_lines);

}  // namespace memledger::legacy
