// capture_segments.h — a capture cut into segments, for runs of hours: how
// large or how old a segment may grow before the next begins, how many are
// kept, and each one's file name (the pattern's "%n": its index, from 1).
// Each segment is a capture file of its own whose first chunk carries over
// what was live and declared when it began (consumer/recorded_stream.h cuts
// them; analysis/replay.h reads one alone, or a run of them as one history).
// Plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace memledger {

struct SegmentBounds {
  std::uint64_t max_bytes = 0;  // a segment ends once its records take this many bytes of file; 0: no size bound
  std::uint64_t max_ns = 0;     // ... or once it has spanned this long; 0: no time bound
  std::uint32_t keep = 0;       // only the last `keep` segments stay on disk; 0: all
  bool rotates() const { return max_bytes != 0 || max_ns != 0; }
};

// A size bound below this is raised to it: each segment begins with the
// books carried over, and a bound smaller than a few chunks would make
// segments of little else.
inline constexpr std::uint64_t kMinSegmentBytes = 64 << 10;
// The time bounds people set (MEMLEDGER_OUTPUT_ROTATE_SECONDS, serve
// --rotate-seconds) are at least a second and at most ~31 years: a segment
// a batch would be a file and a pass over the books every few microseconds.
// (The cut itself takes any bound: tests cut by fake clocks.)
inline constexpr double kMinSegmentSeconds = 1;
inline constexpr double kMaxSegmentSeconds = 1e9;

// How a capture's segments are made: their bounds and file names.
struct SegmentPlan {
  SegmentBounds bounds;
  std::string pattern;  // a path with "%n" (SegmentPattern)
};

// `pattern` with each "%n" of its file's name (after the last '/')
// replaced by `index`; a directory's "%n" stays as it is.
std::string SegmentPath(std::string_view pattern, std::uint32_t index);

// The pattern of a rotated capture asked for at `path`: `path` itself when
// its file's name says where the index goes (has "%n"), else `path` with
// ".%n" before its ".mlcap" (or at its end): run.mlcap -> run.%n.mlcap.
std::string SegmentPattern(std::string_view path);

}  // namespace memledger
