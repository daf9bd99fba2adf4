// run_captures.cc — see run_captures.h.
#include "run_captures.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <utility>

#include "capture/capture_file_name.h"
#include "capture/capture_reader.h"
#include "capture/capture_segments.h"

namespace memledger {
namespace {

constexpr std::string_view kCaptureSuffix = ".mlcap";

// What a file name <pid>.mlcap or <pid>.<n>.mlcap names: the pid, and the
// segment number (0: none); nullopt for any other name.
std::optional<std::pair<pid_t, std::uint32_t>> CaptureOfName(std::string_view name) {
  if (!name.ends_with(kCaptureSuffix)) return std::nullopt;
  name.remove_suffix(kCaptureSuffix.size());
  pid_t pid = 0;
  const char* const last = name.data() + name.size();
  const auto [end, ec] = std::from_chars(name.data(), last, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  if (end == last) return std::pair{pid, std::uint32_t{0}};
  std::uint32_t segment = 0;
  if (*end != '.') return std::nullopt;
  const auto [segment_end, segment_ec] = std::from_chars(end + 1, last, segment);
  if (segment_ec != std::errc() || segment_end != last || segment == 0) return std::nullopt;
  return std::pair{pid, segment};
}

}  // namespace

std::optional<std::string> MakePrivateCaptureDir(const std::string& output, std::string* error) {
  std::string dir = std::filesystem::path(output).parent_path().string();
  if (dir.empty()) dir = ".";
  char resolved[PATH_MAX];
  if (realpath(dir.c_str(), resolved) == nullptr) {
    *error = "cannot write captures in " + dir + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string pattern = std::string(resolved) + "/.memledger-run.XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    *error = "cannot make a directory for the captures in " + std::string(resolved) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return pattern;
}

std::string CapturePattern(const std::string& dir) { return dir + "/%p.mlcap"; }

std::string TrackedCapture::Name() const {
  if (paths.size() <= 1) return paths.empty() ? std::string() : paths.front();
  return paths.front() + " … " + paths.back() + " (" + std::to_string(paths.size()) + " segments)";
}

std::vector<TrackedCapture> FindCaptures(const std::string& dir, pid_t direct_child) {
  std::map<pid_t, std::vector<std::pair<std::uint32_t, std::string>>> files;  // by pid: (segment, path)
  std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(dir.c_str()), &closedir);
  if (!listing) return {};
  while (const dirent* entry = readdir(listing.get())) {
    const auto named = CaptureOfName(entry->d_name);
    if (named) files[named->first].emplace_back(named->second, dir + "/" + entry->d_name);
  }
  std::vector<TrackedCapture> captures;
  for (auto& [pid, found] : files) {
    std::sort(found.begin(), found.end());
    TrackedCapture capture;
    capture.pid = pid;
    for (const auto& [segment, path] : found) {
      capture.paths.push_back(path);
      if (segment != 0) capture.segments.push_back(segment);
    }
    // A process writes one file or segments, never both: a stray file is
    // read as a segment of its own and the replay says what is wrong.
    if (!capture.segments.empty() && capture.segments.size() != capture.paths.size()) capture.segments.clear();
    std::string ignored;  // an unreadable capture is told when it is replayed
    if (const auto reader = CaptureReader::Open(capture.paths.front(), &ignored)) {
      capture.comm = reader->info().comm;
      capture.start_unix_ns = reader->info().start_unix_ns;
    }
    captures.push_back(std::move(capture));
  }
  const auto began = [](const TrackedCapture& c) {
    return c.start_unix_ns != 0 ? c.start_unix_ns : std::numeric_limits<std::uint64_t>::max();
  };
  std::sort(captures.begin(), captures.end(), [&](const TrackedCapture& a, const TrackedCapture& b) {
    if ((a.pid == direct_child) != (b.pid == direct_child)) return a.pid == direct_child;
    if (began(a) != began(b)) return began(a) < began(b);
    return a.pid < b.pid;
  });
  return captures;
}

std::string BesideOutput(const std::string& output, const TrackedCapture& capture) {
  std::string_view stem(output);
  if (stem.ends_with(kCaptureSuffix)) stem.remove_suffix(kCaptureSuffix.size());
  return std::string(stem) + "." + CommForFileName(capture.comm) + "." + std::to_string(capture.pid) +
         std::string(kCaptureSuffix);
}

bool PutInPlace(TrackedCapture& capture, const std::string& place, std::string* error) {
  for (std::size_t i = 0; i < capture.paths.size(); ++i) {
    const std::string target =
        capture.segments.empty() ? place : SegmentPath(SegmentPattern(place), capture.segments[i]);
    if (rename(capture.paths[i].c_str(), target.c_str()) != 0) {
      *error = "cannot put " + capture.paths[i] + " at " + target + ": " + std::strerror(errno);
      return false;
    }
    capture.paths[i] = target;
  }
  return true;
}

void RemovePrivateCaptureDir(const std::string& dir) {
  if (rmdir(dir.c_str()) != 0) {
    std::fprintf(stderr, "memledger run: kept %s: %s\n", dir.c_str(), std::strerror(errno));
  }
}

}  // namespace memledger
