// capture_replay.cc — see capture_replay.h.
//
// Peaks: the ledger keeps each device × type's peak bytes; an observer of the
// replay notes the record after which each one was first reached (its seq
// and drain time). A peak reached among carried-over buffers (a capture the
// server wrote for a process that came back) has no such record: its bytes
// are the ledger's, its seq and time None.
#include "capture_replay.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "capture/replay.h"
#include "report/summary_json.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

struct PeakSeen {
  std::uint64_t bytes = 0;
  std::uint64_t seq = 0;
  std::uint64_t time_ns = 0;
};
// Per device, per ledger-wide type.
using PeaksSeen = std::vector<std::array<PeakSeen, MEMLEDGER_MAX_TYPES>>;

bool IsAllocation(EventKind kind) {
  return kind == EventKind::kAlloc || kind == EventKind::kCbAlloc || kind == EventKind::kKernelLoad;
}

py::dict Replay(const std::string& path) {
  Ledger ledger;
  PeaksSeen seen;
  ReplayOptions options;
  options.observer = [&](ProcessIndex process, const Record& record) {
    const Event& e = record.event;
    if (!IsAllocation(record.kind()) || e.device >= ledger.devices().size() || e.type >= MEMLEDGER_MAX_TYPES) return;
    const std::uint8_t type = ledger.process(process).type_map[e.type];
    if (type >= MEMLEDGER_MAX_TYPES) return;  // not registered: the ledger counted it invalid
    const std::uint64_t live = ledger.devices()[e.device].types[type].live_bytes;
    if (seen.size() <= e.device) seen.resize(e.device + 1);
    PeakSeen& peak = seen[e.device][type];
    if (live > peak.bytes) peak = {live, e.seq, e.time_ns};
  };
  ReplayResult replay;
  {
    py::gil_scoped_release unlocked;
    replay = ReplayCapture(path, ledger, options);
  }
  if (!replay.opened) throw py::value_error(replay.error);

  py::list peaks;
  for (std::size_t d = 0; d < ledger.devices().size(); ++d) {
    const DeviceBooks& device = ledger.devices()[d];
    if (!device.seen) continue;
    for (std::size_t t = 0; t < ledger.type_count(); ++t) {
      const TypeCounters& counters = device.types[t];
      if (counters.empty()) continue;
      const PeakSeen* at = d < seen.size() && seen[d][t].bytes == counters.peak_bytes ? &seen[d][t] : nullptr;
      py::dict peak;
      peak["device"] = d;
      peak["type"] = ledger.type_name(static_cast<std::uint8_t>(t));
      peak["bytes"] = counters.peak_bytes;
      peak["seq"] = at != nullptr ? py::object(py::int_(at->seq)) : py::none();
      peak["time_ns"] = at != nullptr ? py::object(py::int_(at->time_ns)) : py::none();
      peaks.append(std::move(peak));
    }
  }
  std::string summary;
  {
    py::gil_scoped_release unlocked;  // symbolizing may take a while
    summary = SummaryJson(ledger);
  }
  py::dict result;
  result["summary_json"] = std::move(summary);
  result["problem"] = replay.problem;
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
