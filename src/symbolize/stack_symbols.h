// stack_symbols.h — what reports ask of a symbolizer: the source frames of
// one captured stack, or "not yet" (nullopt). Symbolizer (symbolizer.h)
// always knows, reading files on the calling thread; BackgroundSymbolizer
// (background_symbolizer.h) answers from what its own thread has read and
// queues the rest, so an event loop never waits on a file.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "event/record.h"

namespace memledger {

// The strings' {} lets designated initializers leave them out without
// -Wmissing-field-initializers.
struct SymbolizedFrame {
  std::uint64_t address = 0;        // as captured
  std::string function{};           // demangled; empty when unknown
  std::string file{};               // source file path as in DWARF; empty when unknown
  int line = 0;                     // 0 when unknown
  bool inlined = false;             // this frame was inlined into the next (outer) one
  std::string module{};             // the module's path ("" when no module covers the address)
  std::uint64_t module_offset = 0;  // address - base (the ELF address)
  std::string unread_module{};      // why the module's file was not read (OpenModuleFile's refusal), or ""
  bool operator==(const SymbolizedFrame&) const = default;
};

class StackSymbols {
 public:
  virtual ~StackSymbols() = default;
  // One captured stack, innermost first (see Symbolizer::Symbolize); nullopt
  // when the frames are not known yet. `reader`: the uid of the process the
  // modules are of, when known.
  virtual std::optional<std::vector<SymbolizedFrame>> Frames(std::span<const ModuleDescription> modules,
                                                             std::span<const std::uint64_t> stack,
                                                             std::optional<uid_t> reader) = 0;
};

}  // namespace memledger
