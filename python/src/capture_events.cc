// capture_events.cc — see capture_events.h.
#include "capture_events.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_format.h"
#include "capture/capture_reader.h"
#include "capture_books.h"
#include "event/buffer_memory_type.h"
#include "event/record.h"
#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {
namespace {

class CaptureEvents {
 public:
  // Reads the files of `capture` (an _OpenCapture) again from the start:
  // those its books were made of, in their order (ReplayResult::files; of
  // segments, up to the last one the books read).
  explicit CaptureEvents(py::object capture) : capture_(std::move(capture)) {
    const ReplayResult& replay = Capture().books().replay;
    files_ = replay.files;
    if (replay.first_segment) {
      files_.resize(std::min<std::size_t>(files_.size(), replay.last_segment - replay.first_segment->index + 1));
    }
    if (!OpenNextFile()) RaiseWithText(PyExc_ValueError, "the capture has no file to read");
  }

  // The next buffer event or failed allocation: (kind, seq, time_ns, pid,
  // device, type, buffer_id, address, size, thread, tag, stack id); an
  // ALLOC_FAILED's address is its extent as hooked (0: its size).
  py::tuple Next() {
    while (true) {
      const CaptureBooks& books = Capture().books();  // ValueError once closed
      if (next_slot_ == slots_.size() && !ReadChunk()) throw py::stop_iteration();
      const std::optional<Record> record = assembler_.Push(slots_[next_slot_++]);
      if (record && (IsBufferEvent(record->kind()) || record->kind() == EventKind::kAllocFailed)) {
        return EventTuple(books, record->event);
      }
    }
  }

 private:
  OpenCapture& Capture() const { return capture_.cast<OpenCapture&>(); }

  // The next chunk of the process's stream (carried-over books are not
  // its records); false at the end of the last file, or at a cut.
  bool ReadChunk() {
    std::uint32_t flags = 0;
    do {
      next_slot_ = 0;
      while (!reader_->NextChunk(&slots_, &flags)) {
        if (!reader_->problem().empty() || !OpenNextFile()) return false;  // not continued past a hole
      }
    } while ((flags & kChunkCarriedOver) != 0);
    return true;
  }
  // Opens the next of files_; false when there is none.
  bool OpenNextFile() {
    if (next_file_ == files_.size()) return false;
    std::string error;
    reader_ = CaptureReader::Open(files_[next_file_++], &error);
    if (!reader_) RaiseWithText(PyExc_ValueError, error);
    return true;
  }

  static py::tuple EventTuple(const CaptureBooks& books, const Event& e) {
    const ProcessIndex process = books.replay.process;
    const EventKind kind = static_cast<EventKind>(e.kind);
    const std::uint8_t type = BufferMemoryType(KindRowOf(kind).cls, e.type);
    const SeriesKey series{static_cast<std::uint32_t>(process), e.device, type};
    return py::make_tuple(PythonText(KindName(kind)), e.seq, e.time_ns, books.process().pid,
                          SeriesDevice(books.ledger, series), PythonText(books.ledger.local_type_name(process, type)),
                          e.buffer_id, e.address, e.size, e.thread,
                          PythonText(books.ledger.tag_name(static_cast<std::uint32_t>(process), e.tag)), e.stack);
  }

  py::object capture_;
  std::vector<std::string> files_;
  std::size_t next_file_ = 0;
  std::unique_ptr<CaptureReader> reader_;
  RecordAssembler assembler_;
  std::vector<Event> slots_;
  std::size_t next_slot_ = 0;
};

}  // namespace

void DefineCaptureEvents(py::module_& m) {
  py::class_<CaptureEvents>(m, "_CaptureEvents",
                            "_CaptureEvents(capture: _OpenCapture)\n\nThe capture's buffer events and failed "
                            "allocations, read as iterated: (kind, seq, time_ns, pid, device, type, buffer_id, "
                            "address, size, thread, tag, stack id) each (ALLOC_FAILED: address is the extent, 0 "
                            "for its size). ValueError once the capture is closed.")
      .def(py::init<py::object>(), py::arg("capture"))
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", &CaptureEvents::Next);
}

}  // namespace memledger::python
