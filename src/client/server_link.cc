// server_link.cc — see server_link.h.
#include "client/server_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "server/trusted_server.h"
#include "server/wire_protocol.h"

namespace memledger {
namespace {
constexpr auto kWelcomeTimeout = std::chrono::milliseconds(2000);
}

int ConnectServerSocket(const std::string& path) {
  std::string refusal;
  const int fd = ConnectTrustedServer(path, &refusal);
  // Once per process: the watcher tries again every few seconds.
  static std::atomic_flag warned = ATOMIC_FLAG_INIT;
  if (!refusal.empty() && !warned.test_and_set(std::memory_order_relaxed)) {
    std::fprintf(stderr, "memledger: %s; accounting in this process instead\n", refusal.c_str());
  }
  return fd;
}

int HandRingToServer(int fd, const std::string& path, const EventRing& ring, const std::string& comm,
                     const ResumeState* resume, std::string* reason) {
  reason->clear();
  HelloMessage hello{};
  hello.magic = kHelloMagic;
  hello.protocol_version = kProtocolVersion;
  hello.event_bytes = sizeof(Event);
  hello.ring_layout_version = kRingLayoutVersion;
  std::strncpy(hello.comm, comm.c_str(), sizeof(hello.comm) - 1);
  std::array<int, 2> fds{ring.fd(), -1};
  std::size_t fd_count = 1;
  if (resume != nullptr) {
    hello.flags = kHelloResumed;
    hello.handovers = resume->handovers;
    hello.records_elsewhere = resume->records_elsewhere;
    hello.missed_frees = resume->missed_frees;
    fds[1] = WriteCarriedOver(resume->carried, reason);
    if (fds[1] < 0) {
      close(fd);
      return -1;
    }
    fd_count = 2;
  }
  WelcomeMessage welcome{};
  const bool answered = SendPacket(fd, &hello, sizeof(hello), std::span(fds).first(fd_count)) &&
                        ReceivePacket(fd, &welcome, sizeof(welcome), kWelcomeTimeout) ==
                            static_cast<long>(sizeof(welcome)) &&
                        welcome.magic == kWelcomeMagic;
  if (fds[1] >= 0) close(fds[1]);
  if (!answered) {
    *reason = "the server at " + path + " did not answer the handshake";
    close(fd);
    return -1;
  }
  if (welcome.status != static_cast<std::uint32_t>(WelcomeStatus::kAccepted)) {
    welcome.reason[sizeof(welcome.reason) - 1] = '\0';
    *reason = "the server at " + path + " refused this process: " + welcome.reason;
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectToServer(const std::string& path, const EventRing& ring, const std::string& comm, std::string* reason) {
  reason->clear();
  const int fd = ConnectServerSocket(path);
  if (fd < 0) return -1;  // no server there: embedded mode, silently
  return HandRingToServer(fd, path, ring, comm, nullptr, reason);
}

bool WaitForServerHangup(int control_fd, int wake_fd) {
  for (;;) {
    pollfd fds[2] = {{control_fd, POLLIN | POLLRDHUP, 0}, {wake_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return false;
    if (fds[0].revents != 0) return true;  // the server sends nothing after its Welcome
  }
}

bool WaitForWake(int wake_fd, std::chrono::milliseconds timeout) {
  pollfd fd{wake_fd, POLLIN, 0};
  return poll(&fd, 1, static_cast<int>(timeout.count())) > 0;
}

}  // namespace memledger
