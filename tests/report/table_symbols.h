// table_symbols.h — for the report tests: a StackSymbols that answers from a
// table (address -> frame) standing in for the symbolizer, so that stacks'
// addresses may be made up (the symbolizer has tests of its own).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "symbolize/stack_symbols.h"

namespace memledger {

class TableSymbols final : public StackSymbols {
 public:
  std::map<std::uint64_t, SymbolizedFrame> frames;
  std::optional<std::vector<SymbolizedFrame>> Frames(std::span<const ModuleDescription>,
                                                     std::span<const std::uint64_t> stack,
                                                     std::optional<uid_t>) override {
    std::vector<SymbolizedFrame> out;
    for (std::uint64_t address : stack) out.push_back(frames.at(address));
    return out;
  }
};

}  // namespace memledger
