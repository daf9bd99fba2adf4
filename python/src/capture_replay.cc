// capture_replay.cc — see capture_replay.h.
//
// Peaks: CaptureAnalysis follows the replay (the same one-pass analysis as
// `memledger report`): each device × type's peak bytes, the seq of the record
// that first reached it and that record's drain time.
#include "capture_replay.h"

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "python_text.h"
#include "report/summary_json.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

py::dict Replay(const std::string& path) {
  Ledger ledger;
  CaptureAnalysis analysis;
  ReplayResult replay;
  {
    py::gil_scoped_release unlocked;
    replay = ReplayAnalyzed(path, ledger, analysis);
  }
  if (!replay.opened) RaiseWithText(PyExc_ValueError, replay.error);

  py::list peaks;
  for (const SeriesPeak& found : analysis.Peaks(ledger)) {
    py::dict peak;
    peak["device"] = SeriesDevice(ledger, found.series);
    peak["type"] = PythonText(ledger.type_name(found.series.type));
    peak["bytes"] = found.bytes;
    peak["seq"] = found.seq;
    peak["time_ns"] = analysis.first_time_ns() + found.time_ns;
    peaks.append(std::move(peak));
  }
  std::string summary;
  {
    py::gil_scoped_release unlocked;  // symbolizing may take a while
    summary = SummaryJson(ledger);
  }
  py::dict result;
  result["summary_json"] = PythonText(summary);
  result["problem"] = PythonText(replay.problem);
  result["clean_end"] = replay.clean_end;
  result["records"] = replay.records;
  result["peaks"] = std::move(peaks);
  return result;
}

}  // namespace

void DefineCaptureReplay(py::module_& m) {
  m.def("_replay_capture", &Replay, py::arg("path"),
        "_replay_capture(path: str) -> dict\n\nReplays a capture file: {summary_json, problem, clean_end, "
        "records, peaks}. ValueError when it is not a capture this build reads.");
}

}  // namespace memledger::python
