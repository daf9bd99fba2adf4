// server_status.cc — see server_status.h.
#include "server_status.h"

#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "control/server_query.h"
#include "control/socket_path.h"
#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

// The summary JSON (text; the Python layer parses it). ConnectionError when
// no server answers, or it answers wrong.
py::str Query(const std::optional<std::string>& socket) {
  const std::string path = socket && !socket->empty() ? *socket : DefaultSocketPath();
  std::string error;
  std::optional<std::string> json;
  {
    py::gil_scoped_release unlocked;  // waits up to 10 s for the reply
    json = QuerySummary(path, &error);
  }
  if (!json) RaiseWithText(PyExc_ConnectionError, error);
  return PythonText(*json);
}

}  // namespace

void DefineServerStatus(py::module_& m) {
  m.def("_query_summary", &Query, py::arg("socket") = py::none(),
        "_query_summary(socket: str | None = None) -> str\n\nThe summary JSON of the server at `socket` (default: "
        "the default socket path).");
  m.def("default_socket", [] { return PythonText(DefaultSocketPath()); },
        "default_socket() -> str\n\nThe socket a server listens on, and clients look for, by default.");
}

}  // namespace memledger::python
