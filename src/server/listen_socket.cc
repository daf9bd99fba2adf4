// listen_socket.cc — see listen_socket.h.
#include "server/listen_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "control/socket_path.h"
#include "control/unix_socket.h"

namespace memledger {
namespace {

// Clears the way for a new socket at `path`: nothing there, or a socket of
// this user's left by a dead server (removed). False and *error otherwise.
bool RemoveStaleSocket(const std::string& path, const sockaddr_un& address, int type, std::string* error) {
  struct stat st{};
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return true;
    *error = fmt::format("cannot look at {}: {}", path, std::strerror(errno));
    return false;
  }
  const char* leave_it = "; it is left alone: remove it yourself if it is not needed, or choose another --socket";
  if (S_ISLNK(st.st_mode)) {
    *error = fmt::format("{} is a symbolic link{}", path, leave_it);
    return false;
  }
  if (!S_ISSOCK(st.st_mode)) {
    *error = fmt::format("{} exists and is not a socket{}", path, leave_it);
    return false;
  }
  if (st.st_uid != geteuid()) {
    *error = fmt::format("{} is a socket of uid {}, not of this server's user (uid {}){}", path, st.st_uid, geteuid(),
                         leave_it);
    return false;
  }
  // Ours, in a directory no one else can write in (or sticky): it stays ours
  // between the look above and the probe and unlink below. A live server
  // answers, or its backlog is full (EAGAIN: stopped or busy, not dead).
  const int probe = ConnectUnixSocket(address, type);
  const bool live = probe >= 0 || errno == EAGAIN;
  if (probe >= 0) close(probe);
  if (live) {
    *error = "a server already listens on " + path;
    return false;
  }
  unlink(path.c_str());
  return true;
}

}  // namespace

int ListenUnixSocket(const std::string& path, int type, const std::string& group, std::string* error) {
  sockaddr_un address;
  if (!MakeUnixAddress(path, &address)) {
    *error = "socket path too long: " + path;
    return -1;
  }
  gid_t group_id = static_cast<gid_t>(-1);
  if (!group.empty()) {
    const struct group* entry = getgrnam(group.c_str());
    if (entry == nullptr) {
      *error = "no such group: " + group;
      return -1;
    }
    group_id = entry->gr_gid;
  }
  const uid_t owners[] = {geteuid()};
  if (const std::string problem = SharedDirectoryProblem(path, owners); !problem.empty()) {
    *error = fmt::format("refusing to listen on {}: {}; its directory must be owned by this user or root and "
                         "writable by no one else (or sticky, like /tmp)",
                         path, problem);
    return -1;
  }
  if (!RemoveStaleSocket(path, address, type, error)) return -1;
  const int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  const mode_t old_mask = umask(0177);
  const int bound = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  umask(old_mask);
  if (bound != 0 || listen(fd, 128) != 0) {
    *error = "cannot listen on " + path + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  if (group_id != static_cast<gid_t>(-1) &&
      (chown(path.c_str(), static_cast<uid_t>(-1), group_id) != 0 || chmod(path.c_str(), 0660) != 0)) {
    *error = "cannot give " + path + " to group " + group + ": " + std::strerror(errno);
    close(fd);
    unlink(path.c_str());
    return -1;
  }
  return fd;
}

}  // namespace memledger
