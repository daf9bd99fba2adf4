// html_report.h — `memledger report CAPTURE --html OUT.html`: a Timeline
// written as one self-contained HTML page (no network when viewed: the
// viewer's JS and CSS, from src/report/html/, and the data are inline).
//
// The page holds the changes as five columns of LEB128 varints (time deltas,
// series, site, size codes: a size's place among its site's recent sizes, or
// the size; and addresses, for the series with an address space only),
// gzip-compressed and base64-encoded in a
// <script type="application/octet-stream">; everything else (series, sites'
// stacks as a frame table, peaks, leaks, anomalies, marks, address spaces,
// allocation failures) is a JSON block.
// docs/architecture.md ("HTML report") says why, and how the viewer draws it.
#pragma once

#include <iosfwd>
#include <string>

#include "report/timeline.h"

namespace memledger {

// Writes `timeline` to `out`. False, with *error saying what, when the
// timeline is inconsistent (a series or site index out of range, a change
// earlier than the one before it, a size of 2^53 bytes or more, a failure
// after the last change or of an unknown site) or `out`
// fails; nothing is written for an
// inconsistent timeline. Names of every kind (title, tags, frames, labels)
// are escaped: they come from the tracked program. Not thread-safe.
bool WriteHtmlReport(const Timeline& timeline, std::ostream& out, std::string* error);

}  // namespace memledger
