// collapsed_export.h — `memledger export CAPTURE --format collapsed`: live
// device bytes by allocation stack in the collapsed-stack format flame graph
// tools read (flamegraph.pl, speedscope, inferno): one line per stack as
// shown (stacks showing the same frames are one line, as they are one site
// in the text report), outermost frame first, frames joined by ';', then a
// space and the bytes.
// Each stack is rooted at its device and memory type, named as the text
// report names them (report/names.h): "device 0 (n300);DRAM;main at ...".
//   at the end:  what the process never freed (its leaks), by stack; of a
//                process running when the capture ends, what it held then
//   at the peak: what was live when its total device memory (of the
//                devices and types `scope` shows) was highest
// Only the devices and types `scope` shows. Lines by device, type, then
// bytes (largest first). Buffers without a stack show as "[no stack]" under
// their device and type. Frames are named as the text report names them
// (report/site_stack.h SiteStacks::Boxes): the user's by function and
// file:line, each run of the allocator's or the runtime's as one frame;
// every frame in full with `stacks.full`.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "export/export_result.h"
#include "report/report_scope.h"
#include "report/site_stack.h"

namespace memledger {

enum class CollapsedAt { kEnd, kPeak };

ExportResult ExportCollapsed(const std::vector<std::string>& capture, CollapsedAt at, const ReportScope& scope,
                             const StackOptions& stacks, std::ostream& out);

}  // namespace memledger
