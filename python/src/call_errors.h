// call_errors.h — a call of one of the module's public functions that fits
// its parameters in no way (an argument missing or too many, positional
// where it takes keywords only, a keyword it does not have) raises a
// TypeError in Python's words naming the parameters, instead of pybind11's
// "incompatible function arguments" list (whose types say "handle": the
// functions take any object and check it themselves).
//
// The parameters are read from the first line of each function's docstring,
// its signature in Python's terms ("track_alloc(*, device: int, ...)":
// module.cc), so they are written once.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

// For every public function of `m` defined so far: a last overload, taking
// anything, that raises the TypeError.
void ExplainCallErrors(pybind11::module_& m);

}  // namespace memledger::python
