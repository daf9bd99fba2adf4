// capture_replay.cc — see capture_replay.h.
#include "capture_replay.h"

#include <cstdint>
#include <string>
#include <vector>

#include <pybind11/stl.h>

#include "capture_books.h"
#include "event/json_text.h"
#include "python_text.h"
#include "report/capture_report_json.h"
#include "report/leak_sites.h"
#include "stack_frames.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

// What `memledger report --json PATH` prints, rendered as the command does
// (twice with one SiteStacks of the default options).
py::str ReportJson(const OpenCapture& capture) {
  CaptureBooks& books = capture.books();
  SiteStacks stacks(books.symbolizer, StackOptions{});
  return PythonText(JsonText(CaptureReportJson(books.replay, books.ledger, books.analysis, stacks), 2));
}

// A site of what was live at a peak: (bytes, buffers, tag, headline, stack id).
py::tuple LiveSite(CaptureBooks& books, const SiteAmount& amount) {
  const SiteStack& stack = books.stacks.Read(books.process(), amount.site.stack);
  return py::make_tuple(amount.bytes, amount.buffers,
                        PythonText(books.ledger.tag_name(amount.site.series.process, amount.site.tag)),
                        PythonText(books.stacks.Headline(stack)), amount.site.stack);
}

py::list Peaks(const OpenCapture& capture) {
  CaptureBooks& books = capture.books();
  const std::vector<SeriesPeak> peaks = books.analysis.Peaks(books.ledger);
  // Every site read before the first is named (site_stack.h: headlines).
  for (const SeriesPeak& peak : peaks) {
    for (const SiteAmount& amount : peak.live) books.stacks.Read(books.process(), amount.site.stack);
  }
  py::list out;
  for (const SeriesPeak& peak : peaks) {
    py::list by_tag;
    for (const TagAmount& t : LiveByTag(peak)) {
      by_tag.append(py::make_tuple(PythonText(books.ledger.tag_name(peak.series.process, t.tag)), t.bytes, t.buffers));
    }
    py::list live;
    for (const SiteAmount& amount : peak.live) live.append(LiveSite(books, amount));
    py::dict found;
    found["device"] = SeriesDevice(books.ledger, peak.series);
    found["type"] = PythonText(books.ledger.type_name(peak.series.type));
    found["bytes"] = peak.bytes;
    found["seq"] = peak.seq;
    found["time_ns"] = books.analysis.first_time_ns() + peak.time_ns;
    found["by_tag"] = std::move(by_tag);
    found["live"] = std::move(live);
    out.append(std::move(found));
  }
  return out;
}

// Leak sites as the summary lists them, each with its stack id.
py::list Leaks(const OpenCapture& capture) {
  const CaptureBooks& books = capture.books();
  py::list out;
  for (const LeakSite& site : SortedLeakSites(books.ledger)) {
    py::dict leak;
    leak["bytes"] = site.totals.bytes;
    leak["buffers"] = site.totals.buffers;
    leak["device"] = site.key.device;
    leak["type"] = PythonText(books.ledger.type_name(site.key.type));
    leak["tag"] = PythonText(books.ledger.tag_name(site.key.process, site.key.tag));
    leak["pid"] = books.ledger.processes()[site.key.process].pid;
    leak["stack"] = site.key.stack;
    out.append(std::move(leak));
  }
  return out;
}

}  // namespace

void DefineCaptureReplay(py::module_& m) {
  py::class_<OpenCapture>(m, "_OpenCapture",
                          "_OpenCapture(paths: list[str])\n\nA capture replayed and kept open (memledger.Capture's "
                          "native half): one file, or the segments of one run read as one history. ValueError when "
                          "it is not a capture this build reads, or once closed.")
      .def(py::init<const std::vector<std::string>&>(), py::arg("paths"))
      .def("close", &OpenCapture::Close, "close()\n\nFrees the books; asking them after raises ValueError.")
      .def_property_readonly("closed", &OpenCapture::closed)
      .def_property_readonly("problem", [](const OpenCapture& c) { return PythonText(c.books().replay.problem); })
      .def_property_readonly("clean_end", [](const OpenCapture& c) { return c.books().replay.clean_end; })
      .def_property_readonly("records", [](const OpenCapture& c) { return c.books().replay.records; })
      .def_property_readonly("files", [](const OpenCapture& c) { return c.books().replay.files; })
      .def("report_json", &ReportJson, "report_json() -> str\n\nWhat `memledger report --json PATH` prints.")
      .def("peaks", &Peaks,
           "peaks() -> list[dict]\n\nEach device x type's peak: {device, type, bytes, seq, time_ns, by_tag: "
           "[(tag, bytes, buffers)], live: [(bytes, buffers, tag, headline, stack id)]}, largest site first.")
      .def("leaks", &Leaks,
           "leaks() -> list[dict]\n\nLeak sites, largest first: {bytes, buffers, device, type, tag, pid, stack id}.")
      .def(
          "frames",
          [](const OpenCapture& c, std::uint32_t stack) {
            CaptureBooks& books = c.books();
            return StackFrameTuples(books.process(), stack, books.symbolizer);
          },
          py::arg("stack"),
          "frames(stack: int) -> tuple\n\nThe frames of a stack id, innermost first: (function, file, line, module, "
          "text) each.");
}

}  // namespace memledger::python
