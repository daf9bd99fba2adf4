// module_file.cc — see module_file.h.
#include "symbolize/module_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

#include <fmt/format.h>

namespace memledger {
namespace {

// Owner's permission `owner_bit` when `uid` owns it, else the others' `other_bit`.
bool Allows(const struct stat& st, uid_t uid, mode_t owner_bit, mode_t other_bit) {
  return st.st_uid == uid ? (st.st_mode & owner_bit) != 0 : (st.st_mode & other_bit) != 0;
}

// Search permission for `uid` on every directory of `real_path` (absolute, no symlinks).
bool DirectoriesSearchable(std::string_view real_path, uid_t uid) {
  for (std::size_t slash = 0; slash != std::string_view::npos && slash + 1 < real_path.size();
       slash = real_path.find('/', slash + 1)) {
    const std::string dir(real_path.substr(0, slash == 0 ? 1 : slash));
    struct stat st{};
    if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !Allows(st, uid, S_IXUSR, S_IXOTH)) return false;
  }
  return true;
}

std::string RealPathOf(int fd) {
  char target[4096];
  const ssize_t n = readlink(fmt::format("/proc/self/fd/{}", fd).c_str(), target, sizeof(target));
  return n > 0 && static_cast<std::size_t>(n) < sizeof(target) ? std::string(target, static_cast<std::size_t>(n)) : "";
}

}  // namespace

int OpenModuleFile(const std::string& path, std::optional<uid_t> reader, std::string* refusal) {
  refusal->clear();
  const int place = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (place < 0) return -1;
  struct stat st{};
  if (fstat(place, &st) != 0) {
    close(place);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    *refusal = "module not a regular file";
  } else if (static_cast<std::uint64_t>(st.st_size) > kMaxModuleFileBytes) {
    *refusal = "module larger than 4 GiB";
  } else if (reader && *reader != geteuid()) {
    const std::string real_path = RealPathOf(place);
    if (!Allows(st, *reader, S_IRUSR, S_IROTH) || real_path.empty() || real_path[0] != '/' ||
        !DirectoriesSearchable(real_path, *reader)) {
      *refusal = fmt::format("module not readable by uid {}", *reader);
    }
  }
  if (!refusal->empty()) {
    close(place);
    return -1;
  }
  // The inode checked above, opened for reading; never through the path again.
  const int fd = open(fmt::format("/proc/self/fd/{}", place).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  close(place);
  struct stat opened{};
  if (fd >= 0 && (fstat(fd, &opened) != 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino)) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace memledger
