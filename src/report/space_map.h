// space_map.h — one address space at one instant as a compact text map
// (`memledger report CAPTURE --map DEVICE:TYPE[@TIME]`): a line of
// `columns` characters across the declared space, each a slice of it —
// '.' free, a letter for one of the largest sites (lower case when the
// slice is partly free), '#' several sites, '+' a site past the legend's
// letters — then the legend, each letter's site with its bytes; then the
// free figures (per bank when banked) and the holes in numbers; and, for a
// space other types are placed within (L1 with its circular buffers), a
// second line where their live buffers lie, with where their region ends;
// at a failure judged in this space, a line where the request would have
// gone: the circular buffers' region (cb_clash and other CB failures) or
// the cheapest window a block would need (fragmented).
// It reads the ledger as it stands: replay up to the instant first
// (analysis/replay.h).
//
// Not thread-safe (it reads through one SiteStacks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

inline constexpr std::size_t kMapColumns = 64;
inline constexpr std::size_t kMapLegendLetters = 10;  // sites named by a letter (A to J); the rest '+'
inline constexpr std::size_t kMapHolesListed = 8;

// The map of ledger-wide `type`'s space on ledger-wide `device`, headed with
// `instant` ("at the end of the capture", "at 2.000 s"); a line saying why
// there is none when that type declared no space there. `failure` (null:
// none): the failure whose instant this is.
std::string SpaceMapText(const Ledger& ledger, SiteStacks& stacks, std::uint16_t device, std::uint16_t type,
                         std::string_view instant, const AllocationFailure* failure = nullptr,
                         std::size_t columns = kMapColumns);

}  // namespace memledger
