// chrome_trace_export.h — `memledger export CAPTURE --format chrome`: the
// Trace Event Format JSON that chrome://tracing and ui.perfetto.dev open:
//   counters "device D TYPE" (live bytes), one sample per drain batch (the
//            records drained together share a time stamp: the last value of
//            the batch is kept), and a final one per series;
//   instant events for anomalies (their kind, with the count) and marks.
// Times are microseconds from the capture's first record.
#pragma once

#include <ostream>
#include <string>

#include "analysis/replay.h"

namespace memledger {

ReplayResult ExportChromeTrace(const std::string& capture, std::ostream& out);

}  // namespace memledger
