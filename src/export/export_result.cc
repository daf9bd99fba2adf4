// export_result.cc — see export_result.h.
#include "export/export_result.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace memledger {

std::vector<std::string> ExportNotes(const Ledger& ledger, ProcessIndex process, const ReportScope& scope,
                                     std::string_view lacking) {
  std::vector<std::string> notes;
  const std::size_t devices = ledger.devices().size();
  if (scope.device && *scope.device >= devices) {
    notes.push_back(devices == 0 ? fmt::format("--device {}: the capture has no device", *scope.device)
                                 : fmt::format("--device {}: the capture has devices 0 to {}", *scope.device,
                                               devices - 1));
  }
  if (scope.type) {
    std::vector<std::string> types;
    for (std::size_t type = 0; type < ledger.type_count(); ++type) types.push_back(ledger.type_name(type));
    if (std::find(types.begin(), types.end(), *scope.type) == types.end()) {
      notes.push_back(fmt::format("--type {}: the capture has no memory type of that name (they are {})",
                                  *scope.type, fmt::join(types, ", ")));
    }
  }
  if (ledger.process(process).stacks.empty()) {
    notes.push_back(fmt::format("the capture holds no stacks, so {}: record them with MEMLEDGER_STACKS=1 "
                                "(MEMLEDGER_STACKS=1 memledger run -o run.mlcap -- PROGRAM)",
                                lacking));
  }
  return notes;
}

}  // namespace memledger
