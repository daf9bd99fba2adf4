// failure_place.h — where an allocation failure's request would have gone
// in the space it was judged in, as both maps draw it (the text map,
// space_map.h, and the HTML page's, timeline_recorder.h): the failing
// circular buffers' region [base, region_end) (cb_clash and other CB
// failures), or the cheapest window a free block of the request's extent
// would need (fragmented); clipped to the space. Pure.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "ledger/allocation_failure.h"

namespace memledger {

struct FailurePlace {
  std::uint64_t start = 0;
  std::uint64_t end = 0;        // as the ledger judged it (may pass the space's end)
  std::uint64_t drawn_end = 0;  // end clipped to the space
  bool region = false;          // true: the circular buffers' region; false: a fragmented request's window
};

// Nullopt when `failure` has no map, names no place (exhausted, unexplained)
// or its place is empty within `space`.
inline std::optional<FailurePlace> FailurePlaceOf(const AllocationFailure& failure, const SpaceGeometry& space) {
  if (!failure.has_map) return std::nullopt;
  FailurePlace place;
  if (failure.region_end != 0) {
    place = {space.base, failure.region_end, 0, true};
  } else if (failure.verdict == FailureVerdict::kFragmented) {
    place = {failure.window_start, failure.window_start + failure.extent, 0, false};
  } else {
    return std::nullopt;
  }
  place.drawn_end = std::min(place.end, space.end());
  if (place.start >= place.drawn_end) return std::nullopt;
  return place;
}

}  // namespace memledger
