// wire_protocol.cc — see wire_protocol.h.
#include "control/wire_protocol.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace memledger {

bool SendPacket(int socket, const void* data, std::size_t size, std::span<const int> fds_to_pass) {
  constexpr std::size_t kMaxFds = 2;
  if (fds_to_pass.size() > kMaxFds) {
    errno = EINVAL;
    return false;
  }
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
  if (!fds_to_pass.empty()) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds_to_pass.size());
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds_to_pass.size());
    std::memcpy(CMSG_DATA(cmsg), fds_to_pass.data(), sizeof(int) * fds_to_pass.size());
  }
  // MSG_NOSIGNAL: a vanished peer is an error return, never SIGPIPE.
  return sendmsg(socket, &msg, MSG_NOSIGNAL) == static_cast<ssize_t>(size);
}

long ReceivePacket(int socket, void* data, std::size_t capacity, std::chrono::milliseconds timeout,
                   std::span<int> received_fds) {
  std::fill(received_fds.begin(), received_fds.end(), -1);
  std::size_t received = 0;
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
      if (received < received_fds.size()) {
        received_fds[received++] = fd;
      } else {
        close(fd);
      }
    }
  }
  if (n <= 0 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    for (int& fd : received_fds) {
      if (fd >= 0) close(fd);
      fd = -1;
    }
    return -1;
  }
  return n;
}

std::vector<std::string> ReplyPackets(std::string_view json) {
  std::vector<std::string> packets;
  const std::uint64_t length = json.size();
  packets.emplace_back(reinterpret_cast<const char*>(&length), sizeof(length));
  for (std::size_t at = 0; at < json.size(); at += kReplyChunkBytes) {
    packets.emplace_back(json.substr(at, kReplyChunkBytes));
  }
  return packets;
}

int WriteCarriedOver(std::span<const Event> slots, std::string* error) {
  const int fd = memfd_create("memledger-carried", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    *error = std::string("memfd_create: ") + std::strerror(errno);
    return -1;
  }
  const auto* bytes = reinterpret_cast<const char*>(slots.data());
  std::size_t left = slots.size_bytes();
  while (left != 0) {
    const ssize_t n = write(fd, bytes, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = std::string("writing the carried-over state: ") + std::strerror(errno);
      close(fd);
      return -1;
    }
    bytes += n;
    left -= static_cast<std::size_t>(n);
  }
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  return fd;
}

std::optional<std::vector<Event>> ReadCarriedOver(int fd, std::string* error) {
  struct stat st{};
  constexpr int kSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;
  const int seals = fcntl(fd, F_GET_SEALS);
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || seals < 0 || (seals & kSeals) != kSeals) {
    *error = "the carried-over state is not a sealed memfd";
    return std::nullopt;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size % sizeof(Event) != 0 || size > kMaxCarriedOverBytes) {
    *error = "the carried-over state is not whole slots within " + std::to_string(kMaxCarriedOverBytes >> 20) +
             " MiB (" + std::to_string(size) + " bytes)";
    return std::nullopt;
  }
  std::vector<Event> slots(size / sizeof(Event));
  auto* bytes = reinterpret_cast<char*>(slots.data());
  std::uint64_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, bytes + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {  // it shrank under us, or cannot be read
      *error = "the carried-over state could not be read whole";
      return std::nullopt;
    }
    done += static_cast<std::uint64_t>(n);
  }
  return slots;
}

}  // namespace memledger
