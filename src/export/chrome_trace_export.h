// chrome_trace_export.h — `memledger export CAPTURE --format chrome`: the
// Trace Event Format JSON that chrome://tracing and ui.perfetto.dev open:
//   counters "device D TYPE" (live bytes), one sample per drain batch (the
//            records drained together share a time stamp: the last value of
//            the batch is kept), and a final one per series;
//   a slice per buffer lifetime (buffer_lifetimes.h), an async pair
//            ("b" at its alloc, "e" where it ended; category "buffer", id its
//            alloc's seq), named by its site's headline (as the text report
//            names it), or by its type and size without a stack; args: its
//            device, type, address, size, tag, site and how it ended. At most
//            `max_slices`, the largest buffers: "metadata" says how many were
//            left out, and so does a note;
//   an instant per anomaly site at its first anomaly: its kind, the site's
//            count, and that anomaly's facts (report/anomaly_facts.h: what
//            happened, the events with their sites); invalid events and
//            device conflicts (counted, never by site) an instant per record
//            with their count, and anomalies beyond the ledger's sites one
//            per kind at the end, so that the counts add up to the books';
//   a counter "anomalies", each kind's count so far (when they came);
//   instants for marks.
// Only the devices and types `scope` shows (then neither the counts-only
// anomalies nor the "anomalies" counter: they have no place). Times are microseconds from the capture's first record.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "export/export_result.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

// Buffer lifetimes a trace shows at most by default (--max-slices): some MB of JSON.
inline constexpr std::size_t kDefaultMaxSlices = 20'000;

// Sites named as `stacks` says.
ExportResult ExportChromeTrace(const std::vector<std::string>& capture, const ReportScope& scope,
                               const StackOptions& stacks, std::size_t max_slices, std::ostream& out);

}  // namespace memledger
