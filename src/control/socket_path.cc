// socket_path.cc — see socket_path.h.
#include "control/socket_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace memledger {
namespace {

std::string DirectoryOf(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string OwnerAndModeProblem(const std::string& dir, const struct stat& st, std::span<const uid_t> owners,
                                bool sticky_allowed) {
  if (!S_ISDIR(st.st_mode)) return fmt::format("{} is not a directory", dir);
  if (st.st_uid != 0 && std::find(owners.begin(), owners.end(), st.st_uid) == owners.end()) {
    return fmt::format("{} belongs to uid {}, not to this user (uid {})", dir, st.st_uid, owners.front());
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(sticky_allowed && (st.st_mode & S_ISVTX) != 0)) {
    return fmt::format("{} is writable by {} (mode {:04o})", dir,
                       (st.st_mode & S_IWOTH) != 0 ? "everyone" : "its group", st.st_mode & 07777);
  }
  return {};
}

}  // namespace

std::string PrivateDirectoryProblem(const std::string& dir, uid_t uid) {
  struct stat st{};
  if (lstat(dir.c_str(), &st) != 0) return fmt::format("{}: {}", dir, std::strerror(errno));
  if (S_ISLNK(st.st_mode)) return fmt::format("{} is a symbolic link", dir);
  if (st.st_uid != uid) return fmt::format("{} belongs to uid {}, not to this user (uid {})", dir, st.st_uid, uid);
  const uid_t owners[] = {uid};
  return OwnerAndModeProblem(dir, st, owners, /*sticky_allowed=*/false);
}

std::string SharedDirectoryProblem(const std::string& socket_path, std::span<const uid_t> owners, bool* missing) {
  const std::string dir = DirectoryOf(socket_path);
  struct stat st{};
  const bool exists = stat(dir.c_str(), &st) == 0;
  if (missing != nullptr) *missing = !exists && errno == ENOENT;
  if (!exists) return fmt::format("{}: {}", dir, std::strerror(errno));
  return OwnerAndModeProblem(dir, st, owners, /*sticky_allowed=*/true);
}

DefaultSocket ChooseDefaultSocket(const char* xdg_runtime_dir, const std::string& tmp_dir, uid_t uid) {
  DefaultSocket choice;
  if (xdg_runtime_dir != nullptr && xdg_runtime_dir[0] != '\0') {
    choice.xdg_passed_over = PrivateDirectoryProblem(xdg_runtime_dir, uid);
    if (choice.xdg_passed_over.empty()) {
      choice.private_dir = xdg_runtime_dir;
      choice.path = choice.private_dir + "/" + kSocketFileName;
      return choice;
    }
  }
  choice.private_dir = fmt::format("{}/memledger-{}", tmp_dir, uid);
  choice.path = choice.private_dir + "/" + kSocketFileName;
  choice.in_tmp = true;
  return choice;
}

std::string DefaultSocketPath() { return ChooseDefaultSocket(std::getenv("XDG_RUNTIME_DIR"), "/tmp", geteuid()).path; }

std::optional<std::string> ServerSocketPath(const std::string& requested, std::string* error,
                                            const std::string& tmp_dir) {
  if (!requested.empty()) return requested;
  const uid_t uid = geteuid();
  const DefaultSocket choice = ChooseDefaultSocket(std::getenv("XDG_RUNTIME_DIR"), tmp_dir, uid);
  if (!choice.xdg_passed_over.empty()) {
    std::fprintf(stderr, "memledger serve: not using $XDG_RUNTIME_DIR: %s; the socket goes in %s instead\n",
                 choice.xdg_passed_over.c_str(), choice.private_dir.c_str());
  }
  if (choice.in_tmp && mkdir(choice.private_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = fmt::format("cannot make the socket's directory {}: {}", choice.private_dir, std::strerror(errno));
    return std::nullopt;
  }
  // Made now or found: it is used only if it is ours and no one else can write in it.
  if (const std::string problem = PrivateDirectoryProblem(choice.private_dir, uid); !problem.empty()) {
    *error = fmt::format("refusing the default socket directory: {}; it must be a directory of this user's that no "
                         "one else can write in (remove it, or pass --socket PATH)",
                         problem);
    return std::nullopt;
  }
  return choice.path;
}

}  // namespace memledger
