// allocation_failure.h — why an allocation failed (ALLOC_FAILED records,
// memledger_alloc_failed): the request, what the free space was then, the
// verdict, and who held the memory — as the ledger books it at the moment
// the failure arrives, from the live buffers of every process on the device.
//
// Verdicts, for a request of `extent` (its footprint) in a type's space:
//   exhausted         less free than the extent (or, with no map, less than
//                     the capacity minus what is live)
//   fragmented        enough free in all, no free block as large
//   cb_clash          a program's circular buffers (a type placed within
//                     another's space, memledger.h) would reach live buffers
//                     of the space they are placed in: the blockers
//   unexplained       the books show a block large enough: memory the books
//                     do not see (an allocation without hooks, the
//                     allocator's own reserve) or a hook on the wrong place
//   no_address_space  enough free by the books, but the type declared no
//                     address space: fragmentation cannot be told
//
// AnalyzeFailure is pure: it reads the blocks it is given. Plain data
// otherwise; the ledger keeps failures (bounded) and counts them by verdict.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/free_space_map.h"

namespace memledger {

enum class FailureVerdict : std::uint8_t {
  kExhausted = 0,
  kFragmented = 1,
  kCbClash = 2,
  kUnexplained = 3,
  kNoAddressSpace = 4,
};
inline constexpr int kFailureVerdictCount = 5;
// "exhausted", "fragmented", "cb_clash", "unexplained", "no_address_space".
std::string_view FailureVerdictName(FailureVerdict verdict);
// One sentence a report prints after the verdict's name.
std::string_view FailureVerdictMeaning(FailureVerdict verdict);

// A live buffer as the analysis sees it: its range in the space's units and
// who made it.
struct SpaceBlock {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::uint32_t process = 0;  // ledger process index
  std::uint64_t identity = 0;
  std::uint64_t alloc_seq = 0;
  std::uint64_t alloc_time_ns = 0;
  std::uint32_t stack = 0;  // the process's stack id
  std::uint32_t tag = 0;    // the process's tag id
};

// Live bytes of one site (process, stack, tag) in the failing space.
struct FailureHolder {
  std::uint32_t process = 0;
  std::uint32_t stack = 0;
  std::uint32_t tag = 0;
  std::uint64_t bytes = 0;
  std::uint64_t buffers = 0;
};

// A buffer the failure names: a splitter of the free space (fragmented) or
// one the circular buffers would reach (cb_clash).
struct FailureBlocker {
  SpaceBlock block;
  std::string mark;  // the last mark of its process at or before its allocation ("" when none)
};

struct AllocationFailure {
  std::uint64_t seq = 0;
  std::uint64_t time_ns = 0;
  std::uint32_t process = 0;  // ledger process index
  std::uint16_t device = 0;   // ledger-wide
  std::uint16_t type = 0;     // ledger-wide: the failing request's
  std::uint16_t space_type = 0;  // whose space it was judged in (L1 for a CB clash)
  std::uint32_t stack = 0;
  std::uint32_t tag = 0;
  std::uint64_t size = 0;     // as requested
  std::uint64_t extent = 0;   // its footprint in the space (the CB region, for circular buffers)
  FailureVerdict verdict = FailureVerdict::kNoAddressSpace;
  bool has_map = false;       // the figures below come from an address space's map
  std::uint32_t banks = 1;
  std::uint64_t capacity = 0;  // 0: unknown
  std::uint64_t live_bytes = 0;  // booked live in the type on the device then
  SpaceFigures figures;        // has_map only
  std::uint64_t region_end = 0;  // cb_clash and other CB failures: where the circular buffers would end
  // Who held the space: the largest sites first (at most kMaxHolders), and
  // how many more sites there were.
  std::vector<FailureHolder> holders;
  std::uint64_t more_holders = 0;
  // fragmented: the live buffers inside the cheapest window a free block of
  // `extent` would need (freeing them would have made room), lowest first;
  // cb_clash: the live buffers below the region's end, lowest first. At most
  // kMaxBlockers, and how many more there were.
  std::vector<FailureBlocker> blockers;
  std::uint64_t more_blockers = 0;
  std::uint64_t window_start = 0;  // fragmented: the window's start
};

inline constexpr std::size_t kMaxHolders = 10;
inline constexpr std::size_t kMaxBlockers = 32;

// The verdict on `failure` (its request, capacity, live bytes, figures and,
// for circular buffers, region_end set) by `space`, the map its figures
// came from (null: none). O(1) but for a map's figures (cached per change).
FailureVerdict Judge(const AllocationFailure& failure, const FreeSpaceMap* space);
// Who held the space when `failure` (judged) happened: its holders, and its
// blockers and window_start, from `blocks`, the live blocks of its space on
// its device sorted by start (marks are the caller's to fill in).
// O(blocks + holes x log blocks).
void Explain(AllocationFailure& failure, const FreeSpaceMap* space, const std::vector<SpaceBlock>& blocks);

// Failures counted by (device, type, verdict), for metrics.
struct FailureCountKey {
  std::uint16_t device;
  std::uint16_t type;
  FailureVerdict verdict;
  bool operator==(const FailureCountKey&) const = default;
  auto operator<=>(const FailureCountKey&) const = default;
};

}  // namespace memledger
