// unix_socket.cc — see unix_socket.h.
#include "control/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace memledger {

bool MakeUnixAddress(const std::string& path, sockaddr_un* address) {
  std::memset(address, 0, sizeof(*address));
  address->sun_family = AF_UNIX;
  if (path.empty() || path.size() > kMaxUnixSocketPath) {
    errno = ENAMETOOLONG;
    return false;
  }
  std::memcpy(address->sun_path, path.c_str(), path.size());
  return true;
}

int ConnectUnixSocket(const sockaddr_un& address, int type) {
  const int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int ConnectUnixSocket(const std::string& path, int type) {
  sockaddr_un address;
  if (!MakeUnixAddress(path, &address)) return -1;
  return ConnectUnixSocket(address, type);
}

}  // namespace memledger
