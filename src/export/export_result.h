// export_result.h — what an export returns: the replay's result (opened,
// cut) and what its user should be told beside the output (stderr lines:
// the capture holds no stacks, slices were left out), each a sentence.
#pragma once

#include <string>
#include <vector>

#include "analysis/replay.h"

namespace memledger {

struct ExportResult {
  ReplayResult replay;
  std::vector<std::string> notes;
};

// When `books` hold no stack (recorded without MEMLEDGER_STACKS=1): a note
// saying what `lacking` ("every buffer is \"[no stack]\"") and how to record
// them; empty otherwise.
std::vector<std::string> NoStacksNote(const ProcessBooks& books, std::string_view lacking);

}  // namespace memledger
