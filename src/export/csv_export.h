// csv_export.h — `memledger export CAPTURE --format csv`: one row per buffer
// event (alloc, free, CB, kernel) in the process's order, for spreadsheets
// and pandas:
//   seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack,site
// type and tag by name; size on a free row is the size of the buffer it
// freed (0 when the books never saw it allocated: an unknown or double
// free); stack is the record's stack id and site its headline, as the text
// report names the site of that stack (export/stack_headlines.h; "" without
// a stack); device as the record says it, the process's own number (in a
// capture, one process's, the same as the ledger-wide id unless two numbers
// share a uid). Only the rows of the devices and types `scope` shows.
// Names are shown as text reports show them (report/printable_text.h: no
// line breaks, no controls), and quoted per RFC 4180 when they hold a comma
// or a quote, so every row has the header's 12 fields.
// The capture is replayed twice: the first time to name every site.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "export/export_result.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

ExportResult ExportCsv(const std::vector<std::string>& capture, const ReportScope& scope, const StackOptions& stacks,
                       std::ostream& out);

}  // namespace memledger
