// export_result.cc — see export_result.h.
#include "export/export_result.h"

#include <fmt/format.h>

namespace memledger {

std::vector<std::string> NoStacksNote(const ProcessBooks& books, std::string_view lacking) {
  if (!books.stacks.empty()) return {};
  return {fmt::format("the capture holds no stacks, so {}: record them with MEMLEDGER_STACKS=1 "
                      "(MEMLEDGER_STACKS=1 memledger run -o run.mlcap -- PROGRAM)",
                      lacking)};
}

}  // namespace memledger
