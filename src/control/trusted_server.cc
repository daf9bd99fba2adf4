// trusted_server.cc — see trusted_server.h.
#include "control/trusted_server.h"

#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "control/socket_path.h"
#include "control/unix_socket.h"

namespace memledger {
namespace {

std::string UserName(uid_t uid) {
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) return "no such user";
  return found->pw_name;
}

}  // namespace

std::optional<uid_t> ParseServerUid(std::string_view value) {
  if (value.empty()) return std::nullopt;
  uid_t uid = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), uid);
  if (ec == std::errc() && end == value.data() + value.size()) return uid;
  const std::string name(value);
  passwd entry{};
  passwd* found = nullptr;
  char buffer[1024];
  if (getpwnam_r(name.c_str(), &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) return std::nullopt;
  return found->pw_uid;
}

int ConnectTrustedServer(const std::string& path, std::string* refusal) {
  refusal->clear();
  sockaddr_un address;
  if (!MakeUnixAddress(path, &address)) return -1;  // ENAMETOOLONG

  const uid_t self = geteuid();
  std::vector<uid_t> trusted{self};  // and root, always
  const char* named = std::getenv(kServerUidVariable);
  const std::optional<uid_t> opted_in = named != nullptr ? ParseServerUid(named) : std::nullopt;
  if (opted_in) trusted.push_back(*opted_in);
  const std::string how_to_trust =
      named != nullptr && !opted_in ? fmt::format(" ({}={} names no user)", kServerUidVariable, named) : "";

  bool missing = false;
  if (const std::string problem = SharedDirectoryProblem(path, trusted, &missing); !problem.empty()) {
    if (missing) {
      errno = ENOENT;
      return -1;  // no directory, no server
    }
    *refusal = fmt::format("not connecting to a server at {}: {}{}", path, problem, how_to_trust);
    return -1;
  }
  // Never blocks: a stopped or stuck server is EAGAIN at once (unix_socket.h).
  const int fd = ConnectUnixSocket(address, SOCK_SEQPACKET);
  if (fd < 0) return -1;
  ucred peer{};
  socklen_t size = sizeof(peer);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0) {
    *refusal = fmt::format("not connecting to a server at {}: cannot tell who it is ({})", path, std::strerror(errno));
    close(fd);
    return -1;
  }
  if (peer.uid == 0 || std::find(trusted.begin(), trusted.end(), peer.uid) != trusted.end()) return fd;
  close(fd);
  *refusal = fmt::format("the server at {} runs as uid {} ({}), not as this user (uid {}) or root{}; set {}={} to "
                         "trust it",
                         path, peer.uid, UserName(peer.uid), self, how_to_trust, kServerUidVariable, peer.uid);
  return -1;
}

}  // namespace memledger
