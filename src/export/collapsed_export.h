// collapsed_export.h — `memledger export CAPTURE --format collapsed`: live
// device bytes by allocation stack in the collapsed-stack format flame graph
// tools read (flamegraph.pl, speedscope, inferno): one line per stack,
// outermost frame first, frames joined by ';', then a space and the bytes.
//   at the end:  what the process never freed (its leaks), by stack; of a
//                process running when the capture ends, what it held then
//   at the peak: what was live when its total device memory was highest
// Buffers without a stack show as "[no stack]".
#pragma once

#include <ostream>
#include <string>

#include "analysis/replay.h"

namespace memledger {

enum class CollapsedAt { kEnd, kPeak };

ReplayResult ExportCollapsed(const std::string& capture, CollapsedAt at, std::ostream& out);

}  // namespace memledger
