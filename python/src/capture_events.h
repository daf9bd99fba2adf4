// capture_events.h — memledger.Capture.events()' native half: the buffer
// events of a capture file (alloc, free, CB alloc/free, kernel load/unload)
// and its failed allocations (ALLOC_FAILED), in sequence, read chunk by chunk as the iterator is advanced, never all at
// once. Names (device, memory type, tag) are the open capture's books': the
// replay has read every definition, also those a record names before its
// defining record comes (docs/architecture.md, "The event"). Buffers carried
// over from before a resumed server stream are in the books, not events of
// this file. A cut file's events end where the cut begins.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineCaptureEvents(pybind11::module_& m);

}  // namespace memledger::python
