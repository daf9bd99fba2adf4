// collapsed_export.h — `memledger export CAPTURE --format collapsed`: live
// device bytes by allocation stack in the collapsed-stack format flame graph
// tools read (flamegraph.pl, speedscope, inferno): one line per stack,
// outermost frame first, frames joined by ';', then a space and the bytes.
//   at the end:  what the process never freed (its leaks), by stack; of a
//                process running when the capture ends, what it held then
//   at the peak: what was live when its total device memory was highest
// Buffers without a stack show as "[no stack]". Frames are named as the
// text report names them (report/site_stack.h SiteStacks::Boxes): the
// user's by function and file:line, each run of the allocator's or the
// runtime's as one frame; every frame in full with `stacks.full`.
#pragma once

#include <ostream>
#include <string>

#include "analysis/replay.h"
#include "report/site_stack.h"

namespace memledger {

enum class CollapsedAt { kEnd, kPeak };

ReplayResult ExportCollapsed(const std::string& capture, CollapsedAt at, const StackOptions& stacks,
                             std::ostream& out);

}  // namespace memledger
