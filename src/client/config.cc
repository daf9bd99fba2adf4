// config.cc — see config.h.
#include "client/config.h"

#include "event/quantity_text.h"
#include "event/record.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace memledger {
namespace {

// What every switch accepts, as its warning says it.
constexpr std::string_view kSwitchSpellings = "a switch (1/0, true/false, yes/no, on/off)";

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// "1", "true", "yes", "on" / "0", "false", "no", "off" (any case; empty is
// off); nullopt for anything else, spaces included.
std::optional<bool> ParseBool(std::string_view v) {
  for (const std::string_view on : {"1", "true", "yes", "on"}) {
    if (SameIgnoringCase(v, on)) return true;
  }
  for (const std::string_view off : {"0", "false", "no", "off", ""}) {
    if (SameIgnoringCase(v, off)) return false;
  }
  return std::nullopt;
}

std::uint64_t RoundUpToPowerOfTwo(std::uint64_t v) {
  std::uint64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

ClientConfig ParseClientConfig(const EnvLookup& env, std::vector<std::string>* warnings) {
  ClientConfig config;
  auto warn = [&](const char* name, std::string_view value, std::string_view expected, std::string_view outcome) {
    warnings->push_back(std::string("memledger: ") + name + "='" + std::string(value) + "' is not " +
                        std::string(expected) + "; " + std::string(outcome));
  };

  for (const char* name : {"MEMLEDGER", "TT_ALLOC_TRACKING_ENABLED"}) {
    if (const char* v = env(name)) {
      if (const auto on = ParseBool(v)) {
        config.enabled = config.enabled || *on;
      } else {
        warn(name, v, kSwitchSpellings, "ignoring it");
      }
    }
  }
  if (const char* v = env("MEMLEDGER_OUTPUT")) config.output = v;
  if (const char* v = env("MEMLEDGER_OUTPUT_BY_RUN")) {
    if (const auto on = ParseBool(v)) config.output_placed_by_run = *on;
    else warn("MEMLEDGER_OUTPUT_BY_RUN", v, kSwitchSpellings, "using 0");
  }
  if (const char* v = env("MEMLEDGER_OUTPUT_ROTATE_BYTES")) {
    const auto bytes = ParseByteSize(v);
    if (!bytes) {
      warn("MEMLEDGER_OUTPUT_ROTATE_BYTES", v, "a size (e.g. 256M)", "ignoring it");
    } else if (*bytes != 0 && *bytes < kMinSegmentBytes) {
      warn("MEMLEDGER_OUTPUT_ROTATE_BYTES", v, "at least 64K", "using 64K");
      config.output_segments.max_bytes = kMinSegmentBytes;
    } else {
      config.output_segments.max_bytes = *bytes;
    }
  }
  if (const char* v = env("MEMLEDGER_OUTPUT_ROTATE_SECONDS")) {
    const auto seconds = ParseSeconds(v);
    if (!seconds || *seconds > kMaxSegmentSeconds) {
      warn("MEMLEDGER_OUTPUT_ROTATE_SECONDS", v, "a time (e.g. 3600, 30m, 1h)", "ignoring it");
    } else if (*seconds != 0 && *seconds < kMinSegmentSeconds) {
      warn("MEMLEDGER_OUTPUT_ROTATE_SECONDS", v, "at least 1 s", "using 1 s");
      config.output_segments.max_ns = static_cast<std::uint64_t>(kMinSegmentSeconds * 1e9);
    } else {
      config.output_segments.max_ns = static_cast<std::uint64_t>(std::llround(*seconds * 1e9));
    }
  }
  if (const char* v = env("MEMLEDGER_OUTPUT_KEEP")) {
    std::uint32_t keep = 0;
    const std::string_view text(v);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), keep);
    if (ec != std::errc() || end != text.data() + text.size()) {
      warn("MEMLEDGER_OUTPUT_KEEP", v, "a count of segments (0: all)", "ignoring it (all are kept)");
    } else {
      config.output_segments.keep = keep;
    }
  }
  if (const char* v = env("MEMLEDGER_SOCKET")) config.socket = v;
  if (const char* v = env("MEMLEDGER_RING_SIZE")) {
    const auto bytes = ParseByteSize(v);
    const std::uint64_t min_bytes = kMinRingSlots * kSlotBytes, max_bytes = kMaxRingSlots * kSlotBytes;
    if (!bytes || *bytes < min_bytes || *bytes > max_bytes) {
      warn("MEMLEDGER_RING_SIZE", v, "a size from 64K to 4G (e.g. 4M)", "using the default (4M, or 64M with a server)");
    } else {
      config.ring_slots = RoundUpToPowerOfTwo(*bytes / kSlotBytes);
    }
  }
  if (const char* v = env("MEMLEDGER_ON_FULL")) {
    const std::string_view policy(v);
    if (policy == "block") config.on_full = OnFull::kBlock;
    else if (policy == "drop") config.on_full = OnFull::kDrop;
    else warn("MEMLEDGER_ON_FULL", v, "block or drop", "using block");
  }
  if (const char* v = env("TT_BUFFER_DEBUG_LOG")) {
    if (const auto on = ParseBool(v)) {
      if (*on) {
        config.stacks = StackUnwinder::kFramePointers;
        config.log = kDefaultLogPath;
      }
    } else {
      warn("TT_BUFFER_DEBUG_LOG", v, kSwitchSpellings, "ignoring it");
    }
  }
  if (const char* v = env("MEMLEDGER_LOG")) config.log = v;
  if (const char* v = env("MEMLEDGER_STACKS")) {
    const std::string_view how(v);
    if (SameIgnoringCase(how, "fp")) {
      config.stacks = StackUnwinder::kFramePointers;
    } else if (SameIgnoringCase(how, "unwind")) {
      config.stacks = StackUnwinder::kLibunwind;
    } else if (const auto on = ParseBool(how)) {
      config.stacks = *on ? StackUnwinder::kFramePointers : StackUnwinder::kOff;
    } else {
      warn("MEMLEDGER_STACKS", v, "fp, unwind or " + std::string(kSwitchSpellings), "ignoring it");
    }
  }
  if (const char* v = env("MEMLEDGER_STACK_DEPTH")) {
    std::uint32_t depth = 0;
    const std::string_view text(v);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), depth);
    if (ec != std::errc() || end != text.data() + text.size() || depth < 1 || depth > kMaxStackDepth) {
      warn("MEMLEDGER_STACK_DEPTH", v, "a depth from 1 to 64", "using 32");
    } else {
      config.stack_depth = depth;
    }
  }
  if (const char* v = env("MEMLEDGER_SKIP_FRAMES")) config.skip_frames = v;
  if (const char* v = env("MEMLEDGER_REPORT")) {
    if (const auto on = ParseBool(v)) config.exit_report = *on;
    else warn("MEMLEDGER_REPORT", v, kSwitchSpellings, "using 1");
  }
  return config;
}

}  // namespace memledger
