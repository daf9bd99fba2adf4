// python_frames.h — Python frames in allocation stacks: the frame provider
// this module gives libmemledger (memledger_set_frame_provider), so that a
// stack captured under Python code shows the Python callers' "function at
// file.py:line" outer to the native frames.
//
// The provider runs on the hooked thread, inside a tracked alloc or free with
// stacks on. It looks at Python only when this thread holds the GIL — it never
// takes it (the hook may run on a thread that released it, or inside the
// interpreter's own machinery) — and then walks the thread's frames,
// innermost first, with the public API (PyEval_GetFrame, PyFrame_GetBack,
// PyFrame_GetCode, PyFrame_GetLasti). Each frame is found by (code object,
// instruction offset) in a cache, protected by the GIL: only the first
// sight of a call site computes its line and file and interns it
// (memledger_intern_frame). The cache keeps its code objects alive, so an
// address in it is never another code object's.
//
// Frames of memledger's own Python package (the tag decorator's wrapper) are
// left out. Re-entry — a frame object made on the walk starts the garbage
// collector, whose finalizers free tracked buffers — gets no Python frames.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefinePythonFrames(pybind11::module_& m);

}  // namespace memledger::python
