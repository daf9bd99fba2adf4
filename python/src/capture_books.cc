// capture_books.cc — see capture_books.h.
#include "capture_books.h"

#include "python_text.h"

namespace py = pybind11;

namespace memledger::python {

OpenCapture::OpenCapture(const std::vector<std::string>& paths) : books_(std::make_unique<CaptureBooks>()) {
  {
    py::gil_scoped_release unlocked;
    books_->replay = ReplayAnalyzed(paths, books_->ledger, books_->analysis);
  }
  if (!books_->replay.opened) RaiseWithText(PyExc_ValueError, books_->replay.error);
}

CaptureBooks& OpenCapture::books() const {
  if (books_ == nullptr) throw py::value_error("the capture is closed (memledger.Capture after close())");
  return *books_;
}

}  // namespace memledger::python
