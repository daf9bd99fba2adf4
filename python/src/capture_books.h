// capture_books.h — a capture file replayed once and kept open for
// memledger.Capture: the books (Ledger), the analysis that followed the
// replay (peaks, top sites, growth), what the replay said, and the one
// symbolizer its stacks are read with. Closing frees them all; asking a
// closed capture raises ValueError.
//
// Call with the GIL held. Only the replay, before anyone can reach the books,
// releases it: every later call holds it throughout, symbolizing included,
// since the books and the symbolizer's caches are shared by every caller and
// a close() from another thread must not free them under a call.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "analysis/capture_analysis.h"
#include "analysis/replay.h"
#include "ledger/ledger.h"
#include "report/site_stack.h"
#include "symbolize/symbolizer.h"

namespace memledger::python {

struct CaptureBooks {
  Ledger ledger;
  CaptureAnalysis analysis;
  ReplayResult replay;
  Symbolizer symbolizer;
  // Sites as Python reads them (peaks, leaks); the report names its own.
  SiteStacks stacks{symbolizer, StackOptions{}};

  const ProcessBooks& process() const { return ledger.process(replay.process); }
};

class OpenCapture {
 public:
  // Replays `paths` (one file, or segments of one run: ReplayCapture);
  // ValueError when they are not a capture this build reads.
  explicit OpenCapture(const std::vector<std::string>& paths);

  // ValueError once closed.
  CaptureBooks& books() const;
  void Close() { books_.reset(); }
  bool closed() const { return books_ == nullptr; }

 private:
  std::unique_ptr<CaptureBooks> books_;
};

}  // namespace memledger::python
