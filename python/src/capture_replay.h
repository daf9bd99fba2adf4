// capture_replay.h — memledger.Capture's native half, _OpenCapture: a
// capture file replayed once through the one accounting path
// (analysis/replay.h) and kept open (capture_books.h), asked for what the
// Python layer turns into objects: the report `memledger report --json`
// prints (report/capture_report_json.h), each device × memory type's peak
// with what was live at that instant, the leak sites, and a stack's frames
// (stack_frames.h). close() frees the books.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineCaptureReplay(pybind11::module_& m);

}  // namespace memledger::python
