// module.cc — the memledger._memledger extension: the native half of the
// memledger package (python/memledger/__init__.py is the public face).
// Tracking goes through libmemledger's C ABI, so a program that imports it
// tracks exactly like a native one (MEMLEDGER=1, the exit report, captures);
// captures and the server query use the internal libraries directly.
#include <pybind11/pybind11.h>

#include "call_errors.h"
#include "capture_events.h"
#include "capture_replay.h"
#include "checkpoints.h"
#include "python_frames.h"
#include "server_status.h"
#include "tracking.h"

PYBIND11_MODULE(_memledger, m) {
  m.doc() = "memledger's native half; use the memledger package.";
  // Each docstring begins with its signature in Python's terms (pybind11's
  // own would say "handle" for arguments this module checks itself); a call
  // that fits it in no way is told so in those terms (call_errors.h).
  pybind11::options options;
  options.disable_function_signatures();
  memledger::python::DefineTracking(m);
  memledger::python::DefineCheckpoints(m);
  memledger::python::DefinePythonFrames(m);
  memledger::python::DefineCaptureReplay(m);
  memledger::python::DefineCaptureEvents(m);
  memledger::python::DefineServerStatus(m);
  memledger::python::ExplainCallErrors(m);  // last: for every function above
}
