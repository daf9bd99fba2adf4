// process_table.h — the process table of `memledger status` and `memledger
// top`, from the summary JSON: as nvidia-smi's, a row per process and device
// it uses (a process using none: one row, device "-"), with what it holds
// there per memory type (the first 8 in the text report's order,
// summary_view.h) and in all, what the process leaked, and its command line
// (the server's "command"; its comm in brackets when that is unknown), made
// printable and, when it does not fit, without its program's directory, cut
// and marked.
// Fitted to a width by dropping columns, never rows, until the command has
// 23 columns: first the uid and event counts, then the memory types from
// the last in order, then leaks, then state; the pid, device, total and
// command stay.
//
// Pure: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace memledger {

// How rows are ordered (top's keys).
enum class RowOrder {
  kMemory,  // most bytes held on the row's device first
  kDevice,  // by device, then most bytes held
  kLeaked,  // most bytes leaked by the process first, then most bytes held
  kPid,     // by pid, then device
};
// "memory", "device", "leaked", "pid": what a header says the rows are sorted by.
std::string_view RowOrderName(RowOrder order);

struct ProcessTable {
  std::string header;
  std::vector<std::string> rows;
};

// The table of `summary`'s processes, rows in `order`, no line wider than
// `width` columns (0: no limit: every column, commands whole). `utf8`: the
// terminal shows UTF-8 (a cut is marked "…", else "...").
ProcessTable RenderProcessTable(const nlohmann::json& summary, RowOrder order, int width, bool utf8);

}  // namespace memledger
