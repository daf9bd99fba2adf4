// segment_options.cc — see segment_options.h.
#include "segment_options.h"

#include <cmath>

#include "event/quantity_text.h"

namespace memledger {

void AddSegmentOptions(CLI::App* command, SegmentBounds& bounds, CLI::Option* with, const std::string& what) {
  const auto size_bound = CLI::Validator(
      [](std::string& text) {
        const auto bytes = ParseByteSize(text);
        if (!bytes) return "not a size: " + text + " (e.g. 256M, 1G)";
        return *bytes < kMinSegmentBytes ? std::string("a segment is at least 64K") : std::string();
      },
      "SIZE");
  const auto time_bound = CLI::Validator(
      [](std::string& text) {
        const auto value = ParseSeconds(text);
        if (!value) return "not a time: " + text + " (e.g. 3600, 30m, 1h)";
        return *value < kMinSegmentSeconds || *value > kMaxSegmentSeconds
                   ? std::string("a segment spans at least 1 s (and at most 1e9 s)")
                   : std::string();
      },
      "TIME");
  CLI::Option* by_size = command
      ->add_option_function<std::string>(
          "--rotate-bytes", [&bounds](const std::string& text) { bounds.max_bytes = *ParseByteSize(text); },
          "Begin the next segment of " + what + " once its records take this much (e.g. 256M); each segment "
          "begins with what was live then, and reports alone or with the others as one history")
      ->check(size_bound);
  CLI::Option* by_time = command
      ->add_option_function<std::string>(
          "--rotate-seconds",
          [&bounds](const std::string& text) {
            bounds.max_ns = static_cast<std::uint64_t>(std::llround(*ParseSeconds(text) * 1e9));
          },
          "... or once it spans this long (e.g. 1h, 30m, 3600; at least 1 s)")
      ->check(time_bound);
  CLI::Option* keep =
      command->add_option("--keep", bounds.keep, "With --rotate-*: keep only the last N segments of " + what +
                                                     " (default 0: all)");
  if (with != nullptr) {
    for (CLI::Option* option : {by_size, by_time, keep}) option->needs(with);
  }
}

std::string SegmentOptionsProblem(const SegmentBounds& bounds) {
  if (bounds.keep != 0 && !bounds.rotates()) {
    return "--keep counts segments: give --rotate-bytes or --rotate-seconds too";
  }
  return {};
}

}  // namespace memledger
