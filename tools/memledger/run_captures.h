// run_captures.h — the capture files of a `memledger run` over a process
// tree. Every tracked process writes its own capture into the run's private
// directory (MEMLEDGER_OUTPUT=<dir>/%p.mlcap: a capture file is one
// process); once they have all exited the run puts them in place: the
// first at --output, each other beside it as <stem>.<comm>.<pid>.mlcap.
// The private directory is made beside --output, so that putting a file in
// place is a rename on one filesystem.
//
// Not thread-safe: the run's one thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace memledger {

// A tracked process's capture, as the run found it.
struct TrackedCapture {
  pid_t pid = 0;
  // Its file, or its segments' in order (<pid>.<n>.mlcap, cut by --rotate-*;
  // the first ones may be gone: --keep): where they are now, the private
  // directory, then their places.
  std::vector<std::string> paths;
  std::vector<std::uint32_t> segments;  // each path's segment number; empty: one file, not cut
  std::string comm;                // from its (first) header; empty when the header could not be read
  std::uint64_t start_unix_ns = 0;  // from its (first) header; 0 when unreadable
  // How messages name it: its file, or "FIRST … LAST (N segments)".
  std::string Name() const;
};

// Makes a private directory (0700) beside `output`, an absolute path (the
// tracked programs may change directory). nullopt and *error when it cannot.
std::optional<std::string> MakePrivateCaptureDir(const std::string& output, std::string* error);

// The pattern for MEMLEDGER_OUTPUT: a file per process in `dir`.
std::string CapturePattern(const std::string& dir);

// The captures in `dir` (files named <pid>.mlcap, or <pid>.<n>.mlcap for
// segments), the first one being the one to put at --output:
// `direct_child`'s when it wrote one, else the one that began first; the
// others by when they began.
std::vector<TrackedCapture> FindCaptures(const std::string& dir, pid_t direct_child);

// Where a capture other than the first goes: beside `output`, named
// <output without .mlcap>.<comm>.<pid>.mlcap; <pid>-2, -3, ... for the
// `again`-th other capture of that pid (an exec that cut segments, a pid
// used twice).
std::string BesideOutput(const std::string& output, const TrackedCapture& capture, std::uint32_t again);

// Renames `capture` to `place` — its segments to `place` with their numbers
// before ".mlcap" (run.mlcap: run.1.mlcap, run.2.mlcap, ...), after
// removing the numbered segments an earlier run left there — and updates
// its paths; false and *error when one cannot be.
bool PutInPlace(TrackedCapture& capture, const std::string& place, std::string* error);

// Removes the private directory once it is empty; says on stderr what was
// left in it otherwise.
void RemovePrivateCaptureDir(const std::string& dir);

}  // namespace memledger
