// stack_frames.cc — see stack_frames.h.
#include "stack_frames.h"

#include <string>
#include <vector>

#include "python_text.h"
#include "report/stack_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

py::object TextOrNone(const std::string& text) {
  if (text.empty()) return py::none();
  return PythonText(text);
}

}  // namespace

py::tuple StackFrameTuples(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols) {
  const std::vector<SymbolizedFrame> frames = StackFrames(books, stack, symbols);
  py::tuple out(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const SymbolizedFrame& frame = frames[i];
    out[i] = py::make_tuple(TextOrNone(frame.function), TextOrNone(frame.file),
                            frame.line > 0 ? py::object(py::int_(frame.line)) : py::object(py::none()),
                            TextOrNone(frame.module), PythonText(FrameLine(frame)));
  }
  return out;
}

}  // namespace memledger::python
