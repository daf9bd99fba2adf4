// synthetic_timeline.h — a made-up Timeline shaped like a tracked LLM run, for
// testing the HTML report at any size: two devices; DRAM, L1, CB and KERNEL
// memory; tags weights, kv_cache and activations; ~300 allocation sites with
// stacks; a mark per decode step (~1,900 changes); weights loaded first, a kv
// cache that grows and is dropped per request, activations churning per
// layer, an idle gap longer than 2^32 ns, one short 1.5 GiB spike on device 0
// (its peak), sites that leak a buffer every few steps (leaked at close), and
// a few anomalies. Deterministic: the same options give the same timeline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "report/timeline.h"

namespace memledger::report_test {

struct SyntheticOptions {
  std::size_t changes = 10'000'000;  // about: within a step of it
  // Names that try to break out of the page: a tag, a frame, a device name,
  // mark labels and the title with "</script><img ... onerror=...>" and the like.
  bool hostile_names = false;
  std::string problem;  // Timeline::problem
};

Timeline SyntheticTimeline(const SyntheticOptions& options);

// The highest total live bytes of each device (all series summed) over the
// timeline: what the top of a device's chart must reach at full zoom out.
std::map<std::uint16_t, std::uint64_t> MaxLivePerDevice(const Timeline& timeline);

// The highest live bytes of each device × memory type (its tags summed):
// what the top of that pool's chart must reach at full zoom out.
std::map<std::pair<std::uint16_t, std::string>, std::uint64_t> MaxLivePerPool(const Timeline& timeline);

// A tag that tries to end the page's script block and run its own.
inline constexpr const char* kHostileTag = "</script><img src=x onerror=\"alert(1)\">";

}  // namespace memledger::report_test
