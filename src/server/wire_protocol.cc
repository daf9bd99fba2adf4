// wire_protocol.cc — see wire_protocol.h.
#include "server/wire_protocol.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace memledger {

std::string DefaultSocketPath() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && runtime[0] != '\0') {
    return std::string(runtime) + "/memledger.sock";
  }
  return "/tmp/memledger-" + std::to_string(getuid()) + ".sock";
}

bool SendPacket(int socket, const void* data, std::size_t size, int fd_to_pass) {
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd_to_pass >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(cmsg), &fd_to_pass, sizeof(int));
  }
  // MSG_NOSIGNAL: a vanished peer is an error return, never SIGPIPE.
  return sendmsg(socket, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

long ReceivePacket(int socket, void* data, std::size_t capacity, std::chrono::milliseconds timeout,
                   int* received_fd) {
  if (received_fd != nullptr) *received_fd = -1;
  pollfd pfd{socket, POLLIN, 0};
  const int ready = poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (ready <= 0 || (pfd.revents & POLLIN) == 0) return -1;
  iovec iov{data, capacity};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)] = {};
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  const ssize_t n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg != nullptr; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    const std::size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
      if (received_fd != nullptr && *received_fd < 0) {
        *received_fd = fd;
      } else {
        close(fd);
      }
    }
  }
  if (n <= 0 || (msg.msg_flags & MSG_TRUNC) != 0) {
    if (received_fd != nullptr && *received_fd >= 0) {
      close(*received_fd);
      *received_fd = -1;
    }
    return -1;
  }
  return n;
}

WelcomeMessage MakeWelcome(WelcomeStatus status, std::string_view reason) {
  WelcomeMessage welcome{};
  welcome.magic = kWelcomeMagic;
  welcome.protocol_version = kProtocolVersion;
  welcome.status = static_cast<std::uint32_t>(status);
  const std::size_t n = std::min(reason.size(), sizeof(welcome.reason) - 1);
  std::memcpy(welcome.reason, reason.data(), n);
  return welcome;
}

}  // namespace memledger
