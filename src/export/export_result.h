// export_result.h — what an export returns: the replay's result (opened,
// cut) and what its user should be told beside the output (stderr lines:
// --device/--type name nothing in the capture, the capture holds no stacks,
// slices were left out), each a sentence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analysis/replay.h"
#include "report/report_scope.h"

namespace memledger {

struct ExportResult {
  ReplayResult replay;
  std::vector<std::string> notes;
};

// The notes every export of `process` gives: a --device or --type in
// `scope` that the books do not have (the output is empty), with what they
// have; and, when the process described no stack (recorded without
// MEMLEDGER_STACKS=1), what that leaves `lacking` ("the site column is
// empty") and how to record them.
std::vector<std::string> ExportNotes(const Ledger& ledger, ProcessIndex process, const ReportScope& scope,
                                     std::string_view lacking);

}  // namespace memledger
