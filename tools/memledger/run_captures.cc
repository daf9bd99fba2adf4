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
#include <tuple>
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
  // Numbers as the library writes them: no sign, no leading zero (12.01 is not 12.1).
  const auto number_at = [](const char* at) { return *at >= '1' && *at <= '9'; };
  pid_t pid = 0;
  const char* const last = name.data() + name.size();
  if (name.empty() || !number_at(name.data())) return std::nullopt;
  const auto [end, ec] = std::from_chars(name.data(), last, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  if (end == last) return std::pair{pid, std::uint32_t{0}};
  std::uint32_t segment = 0;
  if (*end != '.' || end + 1 == last || !number_at(end + 1)) return std::nullopt;
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
  // A capture is a file, or the segments of one run of a process: by (pid,
  // when its first segment began; 0 for a file). One pid may have several:
  // an exec after the first image cut segments, a pid used twice.
  struct Found {
    std::uint32_t segment;  // 0: a file, not cut
    std::string path;
    std::string comm;
    std::uint64_t start_unix_ns;
  };
  // By (pid, the run's start, a number of its own for a file or a segment
  // whose header cannot be read: 0 for a run's segments).
  std::map<std::tuple<pid_t, std::uint64_t, std::size_t>, std::vector<Found>> files;
  std::size_t alone = 0;
  std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(dir.c_str()), &closedir);
  if (!listing) return {};
  while (const dirent* entry = readdir(listing.get())) {
    const auto named = CaptureOfName(entry->d_name);
    if (!named) continue;
    Found found{named->second, dir + "/" + entry->d_name, {}, 0};
    std::uint64_t run = 0;
    std::string ignored;  // an unreadable capture is told when it is replayed
    if (const auto reader = CaptureReader::Open(found.path, &ignored)) {
      const CaptureInfo& info = reader->info();
      found.comm = info.comm;
      found.start_unix_ns = info.start_unix_ns;
      if (const auto& segment = info.description.segment) run = segment->run_start_unix_ns;
    }
    const bool of_a_run = found.segment != 0 && run != 0;
    files[{named->first, of_a_run ? run : 0, of_a_run ? 0 : ++alone}].push_back(std::move(found));
  }
  std::vector<TrackedCapture> captures;
  for (auto& [key, found] : files) {
    std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.segment < b.segment; });
    const auto& [pid, run, own] = key;
    TrackedCapture capture;
    capture.pid = pid;
    for (const Found& file : found) {
      capture.paths.push_back(file.path);
      if (file.segment != 0) capture.segments.push_back(file.segment);
    }
    capture.comm = found.front().comm;
    // When its run began, not its first kept segment (--keep drops the first ones).
    capture.start_unix_ns = run != 0 ? run : found.front().start_unix_ns;
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

std::string BesideOutput(const std::string& output, const TrackedCapture& capture, std::uint32_t again) {
  std::string_view stem(output);
  if (stem.ends_with(kCaptureSuffix)) stem.remove_suffix(kCaptureSuffix.size());
  return std::string(stem) + "." + CommForFileName(capture.comm) + "." + std::to_string(capture.pid) +
         (again == 0 ? std::string() : "-" + std::to_string(again + 1)) + std::string(kCaptureSuffix);
}

bool PutInPlace(TrackedCapture& capture, const std::string& place, std::string* error) {
  if (!capture.segments.empty()) {
    // Segments of an earlier run at this place would read as this one's.
    const std::filesystem::path at(place);
    const std::string pattern = SegmentPattern(at.filename().string());
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(
             at.has_parent_path() ? at.parent_path() : std::filesystem::path("."), ignored)) {
      const std::string name = entry.path().filename().string();
      const std::size_t mark = pattern.find("%n");
      if (mark == std::string::npos || name.size() <= pattern.size() - 2 ||
          name.compare(0, mark, pattern, 0, mark) != 0 ||
          !name.ends_with(std::string_view(pattern).substr(mark + 2))) {
        continue;
      }
      const std::string_view number(name.data() + mark, name.size() - (pattern.size() - 2));
      if (!number.empty() && number.front() != '0' &&
          number.find_first_not_of("0123456789") == std::string_view::npos) {
        std::filesystem::remove(entry.path(), ignored);
      }
    }
  }
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
