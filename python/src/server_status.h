// server_status.h — memledger.status(): a running server's books, asked over
// its socket as `memledger status --json` asks (control/server_query.h).
#pragma once

#include <pybind11/pybind11.h>

namespace memledger::python {

void DefineServerStatus(pybind11::module_& m);

}  // namespace memledger::python
