// capture_replay.h — memledger.Capture's native half: a capture file replayed
// through the one accounting path (capture/replay.h), as what the Python
// layer turns into objects: the summary JSON (the schema every front end
// emits), what was cut, and the peak of every device × memory type with the
// record at which it was first reached.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineCaptureReplay(pybind11::module_& m);

}  // namespace memledger::python
