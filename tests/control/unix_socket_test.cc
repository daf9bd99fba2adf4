// unix_socket_test.cc — the one Unix-socket helper (unix_socket.h) on real
// sockets: an address holds at most 107 bytes of path; a connect to a
// listener gives a blocking, close-on-exec socket; no socket, a dead
// socket and a listener whose backlog is full are each told apart by errno,
// at once — the last without waiting for the listener to accept.
#include "control/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "../support/socket_dir_fixture.h"

namespace memledger {
namespace {

using UnixSocket = SocketDirTest;

// A socket bound at `path`, listening with `backlog` when `listening`.
int Bound(const std::string& path, bool listening, int backlog = 8) {
  sockaddr_un address;
  EXPECT_TRUE(MakeUnixAddress(path, &address));
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << std::strerror(errno);
  if (listening) {
    EXPECT_EQ(listen(fd, backlog), 0);
  }
  return fd;
}

TEST(UnixAddress, HoldsAPathOfUpTo107Bytes) {
  sockaddr_un address;
  const std::string longest(kMaxUnixSocketPath, 'p');
  ASSERT_TRUE(MakeUnixAddress(longest, &address));
  EXPECT_EQ(address.sun_family, AF_UNIX);
  EXPECT_EQ(std::string(address.sun_path), longest);
  errno = 0;
  EXPECT_FALSE(MakeUnixAddress(longest + "p", &address));
  EXPECT_EQ(errno, ENAMETOOLONG);
  EXPECT_FALSE(MakeUnixAddress("", &address));
  errno = 0;
  EXPECT_EQ(ConnectUnixSocket(longest + "p", SOCK_SEQPACKET), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
}

TEST_F(UnixSocket, AConnectedSocketIsBlockingAndCloseOnExec) {
  const std::string path = dir_ + "/s.sock";
  const int listener = Bound(path, true);
  const int fd = ConnectUnixSocket(path, SOCK_SEQPACKET);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  int type = 0;
  socklen_t size = sizeof(type);
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size), 0);
  EXPECT_EQ(type, SOCK_SEQPACKET);
  close(fd);
  close(listener);
}

TEST_F(UnixSocket, NoSocketADeadOneAndAFullBacklogAreToldApart) {
  errno = 0;
  EXPECT_EQ(ConnectUnixSocket(dir_ + "/none.sock", SOCK_SEQPACKET), -1);
  EXPECT_EQ(errno, ENOENT);

  const std::string dead = dir_ + "/dead.sock";
  close(Bound(dead, false));
  errno = 0;
  EXPECT_EQ(ConnectUnixSocket(dead, SOCK_SEQPACKET), -1);
  EXPECT_EQ(errno, ECONNREFUSED);

  // A listener that accepts nothing (a stopped server): once its backlog is
  // full the next connect is EAGAIN at once, where a blocking one would wait.
  const std::string stuck = dir_ + "/stuck.sock";
  const int listener = Bound(stuck, true, 1);
  std::vector<int> waiting;
  int fd;
  while (waiting.size() < 64 && (fd = ConnectUnixSocket(stuck, SOCK_SEQPACKET)) >= 0) waiting.push_back(fd);
  EXPECT_EQ(errno, EAGAIN) << "connected " << waiting.size() << " times";
  EXPECT_LT(waiting.size(), 64u);
  for (const int connected : waiting) close(connected);
  close(listener);
}

}  // namespace
}  // namespace memledger
