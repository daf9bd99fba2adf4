// stack_frames.h — a captured stack as Python values: its frames, innermost
// first, as report/stack_text.h reads them (memledger's own left out), each a
// tuple (function, file, line, module, text) — None where unknown; text is
// the frame's report line ("function at file:line"), which memledger.Frame's
// str() gives.
//
// Call with the GIL held.
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>

#include "ledger/ledger.h"
#include "symbolize/stack_symbols.h"

namespace memledger::python {

pybind11::tuple StackFrameTuples(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols);

}  // namespace memledger::python
