// stack_text.cc — see stack_text.h.
#include "report/stack_text.h"

#include <string_view>

namespace memledger {
namespace {
// memledger's own code: the library, and the inline hooks of its public
// headers (compiled into the caller).
bool InMemledger(const SymbolizedFrame& frame) {
  const std::string_view module(frame.module);
  if (module.substr(module.rfind('/') + 1).starts_with("libmemledger.so")) return true;
  const std::string_view file(frame.file);
  return file.ends_with("/memledger/memledger.h") || file.ends_with("/memledger/memledger.hpp");
}
}  // namespace

std::vector<std::string> StackLines(const ProcessBooks& books, std::uint32_t stack, Symbolizer& symbolizer) {
  std::vector<std::string> lines;
  const auto frames = books.stacks.find(stack);
  if (stack == 0 || frames == books.stacks.end()) return lines;
  for (const SymbolizedFrame& frame : symbolizer.Symbolize(books.modules, frames->second)) {
    if (!InMemledger(frame)) lines.push_back(FormatFrame(frame));
  }
  return lines;
}

}  // namespace memledger
