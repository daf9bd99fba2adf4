// csv_export.h — `memledger export CAPTURE --format csv`: one row per buffer
// event (alloc, free, CB, kernel) in the process's order, for spreadsheets
// and pandas:
//   seq,time_ns,kind,device,type,buffer_id,address,size,thread,tag,stack
// type and tag by name; stack as its id (symbolized stacks: --format collapsed);
// device as the record says it, the process's own number (in a capture, one
// process's, the same as the ledger-wide id unless two numbers share a uid).
// Names are shown as text reports show them (report/printable_text.h: no
// line breaks, no controls), and quoted per RFC 4180 when they hold a comma
// or a quote, so every row has the header's 11 fields.
#pragma once

#include <ostream>
#include <string>

#include "analysis/replay.h"

namespace memledger {

ReplayResult ExportCsv(const std::string& capture, std::ostream& out);

}  // namespace memledger
