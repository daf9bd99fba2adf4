// segment_options.h — the options that cut captures into segments, shared
// by `memledger serve` (each client's capture) and `memledger run` (each
// tracked process's): --rotate-bytes, --rotate-seconds and --keep, checked
// as the capture writer takes them (capture/capture_segments.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "capture/capture_segments.h"

namespace memledger {

// Adds the options to `command`, filling `bounds`; `with` (not null) is an
// option they need (serve's --capture). `what` ends their help: whose
// capture is cut.
void AddSegmentOptions(CLI::App* command, SegmentBounds& bounds, CLI::Option* with, const std::string& what);

// "" when `bounds` as parsed make sense; else why not (--keep without a bound).
std::string SegmentOptionsProblem(const SegmentBounds& bounds);

}  // namespace memledger
