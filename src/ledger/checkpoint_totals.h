// checkpoint_totals.h — a checkpoint's answer in three numbers (what
// memledger_query_checkpoint's result and the server's reply carry, and the
// count line of its report): the buffers allocated since and still live,
// their bytes, and the highest rise over device x type above the live
// bytes at the checkpoint. One reading of a CheckpointView for every side.
//
// Pure; thread-safe as its argument is.
#pragma once

#include <algorithm>
#include <cstdint>

#include "ledger/checkpoints.h"

namespace memledger {

struct CheckpointTotals {
  std::uint64_t buffers = 0;
  std::uint64_t bytes = 0;
  std::uint64_t peak_above_begin = 0;
};

inline CheckpointTotals TotalsOf(const CheckpointView& view) {
  CheckpointTotals totals;
  totals.buffers = view.live.size();
  for (const auto& [key, buffer] : view.live) totals.bytes += buffer.size;
  for (const CheckpointPeak& peak : view.peaks) {
    totals.peak_above_begin = std::max(totals.peak_above_begin, peak.peak - peak.at_begin);
  }
  return totals;
}

}  // namespace memledger
