// server_link.cc — see server_link.h.
#include "client/server_link.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "control/handshake.h"
#include "control/proc_stat.h"
#include "control/trusted_server.h"
#include "control/unix_socket.h"
#include "control/wire_protocol.h"
#include "ring/ring_ownership.h"

namespace memledger {
namespace {
// A server that accepted the offer sends its Welcome right away.
constexpr auto kAcceptedWelcomeTimeout = std::chrono::milliseconds(1000);
// How often a watch that saw producers wait looks again.
constexpr auto kStallCheckInterval = std::chrono::milliseconds(5);
// How often a handshake past its bound looks whether the server still runs.
constexpr auto kServerLookInterval = std::chrono::milliseconds(100);

// What is at `path` instead of a server, given the connection's errno.
std::string NoServerAt(const std::string& path, int connect_error) {
  if (path.size() > kMaxUnixSocketPath) {
    return "the path is " + std::to_string(path.size()) + " bytes long, and a socket's may be at most " +
           std::to_string(kMaxUnixSocketPath);
  }
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    return errno == ENOENT ? "nothing is there (no `memledger serve --socket` on that path)"
                           : std::string("cannot look at it: ") + std::strerror(errno);
  }
  if (S_ISDIR(st.st_mode)) return "it is a directory, not a socket";
  if (S_ISREG(st.st_mode)) return "it is a regular file, not a socket";
  if (!S_ISSOCK(st.st_mode)) return "it is not a socket";
  if (connect_error == ECONNREFUSED) return "no server listens on that socket (its server exited)";
  return std::string("cannot connect to it: ") + std::strerror(connect_error);
}

// The server's Welcome on `fd`, waited for as `wait` says; nullopt when none
// came (the server hung up, or did not answer in time).
std::optional<WelcomeMessage> AwaitWelcome(int fd, AcceptWait wait) {
  const auto start = std::chrono::steady_clock::now();
  const pid_t server = ServerPid(fd);
  const auto longest = std::max(wait.bound, wait.while_server_runs);
  for (;;) {
    const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::chrono::milliseconds until;
    if (waited < wait.bound) {
      until = wait.bound;
    } else if (server > 0 && waited < longest && !ProcessIsStopped(server)) {
      until = std::min(longest, waited + kServerLookInterval);
    } else {
      return std::nullopt;
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>((until - waited).count())) > 0) {
      return ReceiveWelcome(fd, std::chrono::milliseconds(0));  // the Welcome, or the server's hang-up
    }
  }
}

}  // namespace

pid_t ServerPid(int fd) {
  ucred peer{};
  socklen_t size = sizeof(peer);
  return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) == 0 ? peer.pid : 0;
}

int ConnectServerSocket(const std::string& path, std::string* absence) {
  std::string refusal;
  const int fd = ConnectTrustedServer(path, &refusal);
  const int connect_error = errno;
  static std::atomic_flag warned = ATOMIC_FLAG_INIT;
  if (!refusal.empty()) {
    if (!warned.test_and_set(std::memory_order_relaxed)) {
      std::fprintf(stderr, "memledger: %s; accounting in this process instead\n", refusal.c_str());
    }
  } else if (fd < 0 && absence != nullptr) {
    *absence = NoServerAt(path, connect_error);
  }
  return fd;
}

int HandRingToServer(int fd, const std::string& path, EventRing& ring, const std::string& comm,
                     const Handover* resumed, std::span<const Event> carried, AcceptWait wait, std::string* reason) {
  reason->clear();
  HelloMessage hello = MakeHello(comm);
  std::array<int, 2> fds{ring.fd(), -1};
  std::size_t fd_count = 1;
  if (resumed != nullptr) {
    SetResumed(&hello, *resumed);
    fds[1] = WriteCarriedOver(carried, reason);
    if (fds[1] < 0) {
      close(fd);
      return -1;
    }
    fd_count = 2;
  }
  // Offered last, when nothing but the send can fail.
  const std::uint16_t offered = OfferRing(ring.header());
  hello.ring_epoch = offered;
  const bool sent = SendPacket(fd, &hello, sizeof(hello), std::span(fds).first(fd_count));
  std::optional<WelcomeMessage> welcome;
  if (sent) welcome = AwaitWelcome(fd, wait);
  if (fds[1] >= 0) close(fds[1]);
  if (!welcome) {
    std::uint16_t reclaimed = 0;
    if (!sent || ReclaimRing(ring.header(), offered, &reclaimed)) {
      *reason = "the server at " + path + " did not answer the handshake";
      close(fd);
      return -1;
    }
    // It accepted the offer just after we stopped waiting: the ring is its.
    welcome = ReceiveWelcome(fd, kAcceptedWelcomeTimeout);
    if (!welcome) return fd;  // its hang-up, if any, is the watcher's to see
  }
  if (welcome->status != static_cast<std::uint32_t>(WelcomeStatus::kAccepted)) {
    *reason = "the server at " + path + " refused this process: " + WelcomeReason(*welcome);
    close(fd);
    return -1;
  }
  return fd;
}

ServerWatch WaitForServer(int control_fd, int wake_fd, int space_wait_fd, const EventRing& ring,
                          std::chrono::milliseconds stall_bound) {
  // Waiting means waiters seen at every look for the whole bound: looks
  // counted as well as time, so that a stop of this very process (SIGSTOP,
  // a debugger: its producers and this thread stop together) is not taken
  // for a stall when it continues.
  const auto looks_needed = stall_bound / kStallCheckInterval;
  std::chrono::steady_clock::time_point waiting_since{};
  std::int64_t looks = 0;  // 0: no producer waiting at the last look
  for (;;) {
    pollfd fds[3] = {{control_fd, POLLIN | POLLRDHUP, 0}, {wake_fd, POLLIN, 0}, {space_wait_fd, POLLIN, 0}};
    const int timeout = looks != 0 ? static_cast<int>(kStallCheckInterval.count()) : -1;
    if (poll(fds, 3, timeout) < 0) continue;
    if (fds[1].revents != 0) return ServerWatch::kWoken;
    if (fds[0].revents != 0) return ServerWatch::kHungUp;  // the server sends nothing after its Welcome
    if (fds[2].revents != 0) {
      std::uint64_t sleeps;
      [[maybe_unused]] const ssize_t n = read(space_wait_fd, &sleeps, sizeof(sleeps));
    }
    if (ring.space_waiters() == 0) {
      looks = 0;
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    if (looks++ == 0) waiting_since = now;
    if (looks > looks_needed && now - waiting_since >= stall_bound) return ServerWatch::kStalled;
  }
}

bool WaitForWake(int wake_fd, std::chrono::milliseconds timeout) {
  pollfd fd{wake_fd, POLLIN, 0};
  return poll(&fd, 1, static_cast<int>(timeout.count())) > 0;
}

}  // namespace memledger
