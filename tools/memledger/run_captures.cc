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
#include <memory>

#include "capture/capture_file_name.h"
#include "capture/capture_reader.h"

namespace memledger {
namespace {

constexpr std::string_view kCaptureSuffix = ".mlcap";

// The pid a file name <pid>.mlcap names; nullopt for any other name.
std::optional<pid_t> PidOfName(std::string_view name) {
  if (!name.ends_with(kCaptureSuffix)) return std::nullopt;
  name.remove_suffix(kCaptureSuffix.size());
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
  if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) return std::nullopt;
  return pid;
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

std::vector<TrackedCapture> FindCaptures(const std::string& dir, pid_t direct_child) {
  std::vector<TrackedCapture> captures;
  std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(dir.c_str()), &closedir);
  if (!listing) return captures;
  while (const dirent* entry = readdir(listing.get())) {
    const std::optional<pid_t> pid = PidOfName(entry->d_name);
    if (!pid) continue;
    TrackedCapture capture;
    capture.pid = *pid;
    capture.path = dir + "/" + entry->d_name;
    std::string ignored;  // an unreadable capture is told when it is replayed
    if (const auto reader = CaptureReader::Open(capture.path, &ignored)) {
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
  if (rename(capture.path.c_str(), place.c_str()) != 0) {
    *error = "cannot put " + capture.path + " at " + place + ": " + std::strerror(errno);
    return false;
  }
  capture.path = place;
  return true;
}

void RemovePrivateCaptureDir(const std::string& dir) {
  if (rmdir(dir.c_str()) != 0) {
    std::fprintf(stderr, "memledger run: kept %s: %s\n", dir.c_str(), std::strerror(errno));
  }
}

}  // namespace memledger
