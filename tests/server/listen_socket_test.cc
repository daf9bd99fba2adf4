// listen_socket_test.cc — ListenUnixSocket with whatever is already at the
// path: a dead server's socket is replaced; a live server (a stuck one with
// a full backlog too), a symlink, a file that is not a socket, or another
// user's socket is refused and left exactly as it was; and a directory others can write in (not sticky) is refused.
#include "server/listen_socket.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <vector>

#include "../support/socket_dir_fixture.h"
#include "control/unix_socket.h"

namespace memledger {
namespace {

using ListenSocket = SocketDirTest;

// A socket bound at `path` and not listening: what a dead server leaves.
void LeaveDeadSocket(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  sockaddr_un address;
  ASSERT_TRUE(MakeUnixAddress(path, &address));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  close(fd);
}

bool IsSymlink(const std::string& path) {
  struct stat st{};
  return lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

TEST_F(ListenSocket, ReplacesADeadServersSocket) {
  const std::string path = dir_ + "/s.sock";
  LeaveDeadSocket(path);
  std::string error;
  const int fd = ListenUnixSocket(path, SOCK_SEQPACKET, "", &error);
  ASSERT_GE(fd, 0) << error;
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  close(fd);
}

TEST_F(ListenSocket, NeverDisplacesALiveServer) {
  const std::string path = dir_ + "/s.sock";
  std::string error;
  const int live = ListenUnixSocket(path, SOCK_SEQPACKET, "", &error);
  ASSERT_GE(live, 0) << error;
  EXPECT_LT(ListenUnixSocket(path, SOCK_SEQPACKET, "", &error), 0);
  EXPECT_EQ(error, "a server already listens on " + path);
  close(live);
}

TEST_F(ListenSocket, NeverDisplacesAStuckServerWhoseBacklogIsFull) {
  // A server that accepts nothing (stopped, or busy): connections wait in its
  // backlog until it is full. The probe is told so at once (EAGAIN) and takes
  // it for the live server it is; a blocking probe would wait for it forever.
  const std::string path = dir_ + "/s.sock";
  std::string error;
  const int stuck = ListenUnixSocket(path, SOCK_SEQPACKET, "", &error);
  ASSERT_GE(stuck, 0) << error;
  std::vector<int> waiting;
  for (int fd; waiting.size() < 4096 && (fd = ConnectUnixSocket(path, SOCK_SEQPACKET)) >= 0;) waiting.push_back(fd);
  ASSERT_EQ(errno, EAGAIN) << "the backlog took " << waiting.size() << " connections";
  EXPECT_LT(ListenUnixSocket(path, SOCK_SEQPACKET, "", &error), 0);
  EXPECT_EQ(error, "a server already listens on " + path);
  for (const int fd : waiting) close(fd);
  close(stuck);
}

TEST_F(ListenSocket, LeavesASymlinkAloneAndNeverFollowsIt) {
  // The link leads to a live server's socket (a fake one, elsewhere) and to a dead one.
  for (const bool target_live : {true, false}) {
    const std::string target = dir_ + (target_live ? "/live-target.sock" : "/dead-target.sock");
    std::string error;
    const int live = target_live ? ListenUnixSocket(target, SOCK_SEQPACKET, "", &error) : -1;
    if (!target_live) LeaveDeadSocket(target);
    const std::string path = dir_ + (target_live ? "/a.sock" : "/b.sock");
    ASSERT_EQ(symlink(target.c_str(), path.c_str()), 0);
    EXPECT_LT(ListenUnixSocket(path, SOCK_SEQPACKET, "", &error), 0);
    EXPECT_NE(error.find(path + " is a symbolic link"), std::string::npos) << error;
    EXPECT_TRUE(IsSymlink(path));
    struct stat st{};
    EXPECT_EQ(lstat(target.c_str(), &st), 0);  // the target was not unlinked either
    if (live >= 0) close(live);
  }
}

TEST_F(ListenSocket, LeavesAFileThatIsNotASocketAlone) {
  const std::string path = dir_ + "/s.sock";
  std::ofstream(path) << "precious";
  std::string error;
  EXPECT_LT(ListenUnixSocket(path, SOCK_SEQPACKET, "", &error), 0);
  EXPECT_NE(error.find("is not a socket"), std::string::npos) << error;
  std::string kept;
  std::getline(std::ifstream(path), kept);
  EXPECT_EQ(kept, "precious");
}

TEST_F(ListenSocket, LeavesAnotherUsersSocketAlone) {
  if (geteuid() != 0) GTEST_SKIP() << "a socket of another user needs root to make";
  const std::string path = dir_ + "/s.sock";
  LeaveDeadSocket(path);
  ASSERT_EQ(lchown(path.c_str(), kOtherUid, kOtherUid), 0);
  std::string error;
  EXPECT_LT(ListenUnixSocket(path, SOCK_SEQPACKET, "", &error), 0);
  EXPECT_NE(error.find("is a socket of uid 65534"), std::string::npos) << error;
  struct stat st{};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kOtherUid);
}

TEST_F(ListenSocket, RefusesADirectoryOthersCanWriteInUnlessSticky) {
  std::string error;
  const std::string open = MakeDir("open", 0777);
  EXPECT_LT(ListenUnixSocket(open + "/s.sock", SOCK_SEQPACKET, "", &error), 0);
  EXPECT_NE(error.find("writable by everyone"), std::string::npos) << error;
  struct stat st{};
  EXPECT_NE(lstat((open + "/s.sock").c_str(), &st), 0);

  const std::string sticky = MakeDir("sticky", 01777);
  const int fd = ListenUnixSocket(sticky + "/s.sock", SOCK_SEQPACKET, "", &error);
  EXPECT_GE(fd, 0) << error;
  if (fd >= 0) close(fd);
}

TEST_F(ListenSocket, RefusesADirectoryOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "a directory of another user needs root to make";
  const std::string theirs = MakeDir("theirs", 0755);
  ASSERT_EQ(chown(theirs.c_str(), kOtherUid, kOtherUid), 0);
  std::string error;
  EXPECT_LT(ListenUnixSocket(theirs + "/s.sock", SOCK_SEQPACKET, "", &error), 0);
  EXPECT_NE(error.find("belongs to uid 65534"), std::string::npos) << error;
}

}  // namespace
}  // namespace memledger
