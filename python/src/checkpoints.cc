// checkpoints.cc — see checkpoints.h.
#include "checkpoints.h"

#include <pybind11/stl.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "memledger/memledger.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

// (status, buffers, bytes, peak_above_begin, json or None, text or None).
py::tuple Query(std::uint64_t checkpoint, const std::vector<std::pair<std::uint64_t, std::uint64_t>>& excludes,
                std::uint32_t max_sites, bool counts_only, std::uint32_t timeout_ms) {
  if (excludes.size() > MEMLEDGER_MAX_EXCLUDES) {
    throw py::value_error("at most " + std::to_string(MEMLEDGER_MAX_EXCLUDES) + " excluded ranges, got " +
                          std::to_string(excludes.size()));
  }
  std::vector<memledger_seq_range> ranges;
  for (const auto& [begin, end] : excludes) ranges.push_back({begin, end});
  memledger_checkpoint_query query{};
  query.struct_size = sizeof(query);
  query.checkpoint = checkpoint;
  query.flags = counts_only ? MEMLEDGER_CHECKPOINT_COUNTS_ONLY : 0;
  query.max_sites = max_sites;
  query.excludes = ranges.empty() ? nullptr : ranges.data();
  query.exclude_count = ranges.size();
  query.timeout_ms = timeout_ms;
  memledger_checkpoint_result result{};
  result.struct_size = sizeof(result);
  int status;
  {
    py::gil_scoped_release release;  // the wait, and the answer's making
    status = memledger_query_checkpoint(&query, &result);
  }
  const auto text = [](char* owned) -> py::object {
    if (owned == nullptr) return py::none();
    py::object value = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(owned, std::strlen(owned), "replace"));
    memledger_free_text(owned);
    if (!value) throw py::error_already_set();
    return value;
  };
  py::object json = text(result.json);
  py::object words = text(result.text);
  return py::make_tuple(status, result.buffers, result.bytes, result.peak_above_begin, json, words);
}

}  // namespace

void DefineCheckpoints(py::module_& m) {
  m.def("_checkpoint_begin", [] { return memledger_checkpoint_begin(); },
        "_checkpoint_begin() -> int\n\nA new checkpoint's id; 0 when tracking is off or 64 are open.");
  m.def("_checkpoint_end", [](std::uint64_t checkpoint) { return memledger_checkpoint_end(checkpoint); },
        py::arg("checkpoint"), "_checkpoint_end(checkpoint: int) -> int\n\n0, or a MEMLEDGER_E_* value.");
  m.def("sequence", [] { return memledger_sequence(); },
        "sequence() -> int\n\nThe sequence number this process's next record will get (0 with tracking off): "
        "taken before and after something that is not a test's own (a shared fixture's setup), it bounds that "
        "thing's allocations for Checkpoint.query(exclude=...).");
  m.def("_query_checkpoint", &Query, py::arg("checkpoint"), py::arg("excludes"), py::arg("max_sites"),
        py::arg("counts_only"), py::arg("timeout_ms"),
        "_query_checkpoint(checkpoint: int, excludes: list[tuple[int, int]], max_sites: int, counts_only: bool, "
        "timeout_ms: int) -> tuple\n\n(status, buffers, bytes, peak_above_begin, json, text).");
  m.attr("_CHECKPOINT_ERRORS") = py::dict(
      py::arg("off") = int{MEMLEDGER_E_OFF}, py::arg("unknown") = int{MEMLEDGER_E_UNKNOWN_CHECKPOINT},
      py::arg("stalled") = int{MEMLEDGER_E_STALLED}, py::arg("server") = int{MEMLEDGER_E_SERVER},
      py::arg("argument") = int{MEMLEDGER_E_ARGUMENT}, py::arg("report") = int{MEMLEDGER_E_REPORT});
  m.attr("MAX_CHECKPOINTS") = int{MEMLEDGER_MAX_CHECKPOINTS};
}

}  // namespace memledger::python
