// tracking.h — memledger.h's hooks for Python: the functions of the
// memledger module that record (devices with their address spaces, buffers,
// failed allocations, tags, marks, pools, stack depth). Arguments are checked with Python's errors: a wrong type is a
// TypeError, a value out of range or an unknown memory type name a
// ValueError, each saying what was given and what is accepted; nothing is
// silently wrapped. With tracking off every call checks its arguments and
// records nothing.
//
// Thread-safety: call with the GIL held (pybind11 does); the pool names
// registered from Python are protected by it.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineTracking(pybind11::module_& m);

}  // namespace memledger::python
