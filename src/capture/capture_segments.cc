// capture_segments.cc — see capture_segments.h.
#include "capture/capture_segments.h"

namespace memledger {
namespace {
// Where the file's name begins in `path`: "%n" counts there only.
std::size_t NameStart(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? 0 : slash + 1;
}
}  // namespace

std::string SegmentPath(std::string_view pattern, std::uint32_t index) {
  const std::size_t name = NameStart(pattern);
  std::string path(pattern.substr(0, name));
  const std::string number = std::to_string(index);
  for (std::size_t at = name; at < pattern.size(); ++at) {
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
  const std::size_t name = NameStart(path);
  if (path.find("%n", name) != std::string_view::npos) return std::string(path);
  constexpr std::string_view kExtension = ".mlcap";
  if (path.size() > name + kExtension.size() && path.ends_with(kExtension)) {
    return std::string(path.substr(0, path.size() - kExtension.size())) + ".%n" + std::string(kExtension);
  }
  return std::string(path) + ".%n";
}

}  // namespace memledger
