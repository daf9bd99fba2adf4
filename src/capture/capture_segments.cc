// capture_segments.cc — see capture_segments.h.
#include "capture/capture_segments.h"

namespace memledger {

std::string SegmentPath(std::string_view pattern, std::uint32_t index) {
  std::string path;
  const std::string number = std::to_string(index);
  for (std::size_t at = 0; at < pattern.size(); ++at) {
    if (pattern.substr(at, 2) == "%n") {
      path += number;
      ++at;
    } else {
      path += pattern[at];
    }
  }
  return path;
}

std::string SegmentPattern(std::string_view path) {
  if (path.find("%n") != std::string_view::npos) return std::string(path);
  constexpr std::string_view kExtension = ".mlcap";
  if (path.size() > kExtension.size() && path.ends_with(kExtension) && path[path.size() - kExtension.size() - 1] != '/') {
    return std::string(path.substr(0, path.size() - kExtension.size())) + ".%n" + std::string(kExtension);
  }
  return std::string(path) + ".%n";
}

}  // namespace memledger
