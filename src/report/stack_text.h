// stack_text.h — a stack as report lines: the process's frames for a stack
// id, innermost first. Native frames are symbolized from the modules the
// process described ("function at file:line", or module+offset when the file
// cannot tell), with memledger's own frames (its library, the inline hooks of
// its headers) left out; language frames (a Python function, record.h) are
// the text the process described for them, in the same form. Every line is
// valid UTF-8 (a module path's ill-formed bytes as U+FFFD); text outputs
// still pass it through PrintableText. Native frames `symbols` does not know
// yet (a server's BackgroundSymbolizer still reading) are module+offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "symbolize/stack_symbols.h"

namespace memledger {

// The frames of stack `stack`, innermost first, memledger's own left out;
// language frames as their described function, file and line. Empty when
// the stack is 0 or the process never described it.
std::vector<SymbolizedFrame> StackFrames(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols);
// A frame as a report line: FormatFrame, valid UTF-8.
std::string FrameLine(const SymbolizedFrame& frame);
// StackFrames, a line each (FrameLine).
std::vector<std::string> StackLines(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols);

}  // namespace memledger
