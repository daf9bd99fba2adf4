// failure_report.h — the text report's "allocation failures" section: per
// failure group (failure_groups.h) the request (per bank when banked), the
// free space then, the verdict and what it means, where the request was
// made, who held the memory by site, and the buffers the verdict names —
// for fragmented those that split the space, for a CB clash the L1 buffers
// below the circular buffers' end, each with how long it had been live and
// the mark it was allocated after. Sites and stacks as the rest of the text
// report renders them (text_report.h: each stack once).
//
// Not thread-safe (it reads through one SiteStacks).
#pragma once

#include <string>

#include "ledger/ledger.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

// Appends the section; nothing when `ledger` booked no failure `scope` shows.
void AppendAllocationFailures(std::string& out, const Ledger& ledger, SiteStacks& stacks, const ReportScope& scope);

}  // namespace memledger
