// map_command.h — `memledger report CAPTURE --map DEVICE:TYPE[@TIME]`: one
// address space at one instant as a text map (report/space_map.h). The
// instant is the capture's end, a time since its first record (as --until
// reads it: 2.5, 300ms), or `failure:N`, the N-th allocation failure's
// (1 the first). The capture (one file, or segments of one run) is replayed (analysis/replay.h) up to the
// instant and the ledger read there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "report/site_stack.h"

namespace memledger {

struct MapRequest {
  std::size_t device = 0;  // ledger-wide, as the report numbers devices
  std::string type;        // a memory type's name: "L1", "DRAM", a pool's
  std::optional<std::uint64_t> until_ns;  // a time: the books as they stand then
  std::uint64_t failure = 0;              // > 0: just after the N-th allocation failure
};

// DEVICE:TYPE[@TIME | @failure:N]; nullopt with `why` when it is not that.
std::optional<MapRequest> ParseMapRequest(std::string_view text, std::string* why);

// Prints the map on stdout: 0; 1 when the capture cannot be read, or the
// device, the type or the failure is not in it.
int MapCommand(std::span<const std::string> capture, const MapRequest& request, const StackOptions& stack_options);

}  // namespace memledger
