// checkpoints.h — memledger.h's checkpoints for Python (the private
// functions under python/memledger/checkpoint.py, which is the public face):
// begin, end, the sequence number, and the query, which releases the GIL
// while it waits for the consumer and renders the answer.
//
// Thread-safety: any Python thread.
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineCheckpoints(pybind11::module_& m);

}  // namespace memledger::python
