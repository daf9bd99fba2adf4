// trusted_server_test.cc — ConnectTrustedServer from this process to a
// server run by another uid (a child that drops to `nobody`, root only):
// refused, saying who it runs as and how to trust it, unless
// MEMLEDGER_SERVER_UID names that uid or its user; and ParseServerUid.
#include "control/trusted_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../support/socket_dir_fixture.h"
#include "control/unix_socket.h"

namespace memledger {
namespace {

TEST(ParseServerUid, TakesANumberOrAUserName) {
  EXPECT_EQ(ParseServerUid("0"), 0u);
  EXPECT_EQ(ParseServerUid("65534"), 65534u);
  EXPECT_EQ(ParseServerUid("root"), 0u);
  EXPECT_EQ(ParseServerUid("no-such-user-memledger"), std::nullopt);
  EXPECT_EQ(ParseServerUid(""), std::nullopt);
}

class TrustedServer : public SocketDirTest {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "a server of another uid needs root to start";
    unsetenv(kServerUidVariable);  // the caller's shell may trust that uid already; each test says what it trusts
    SocketDirTest::SetUp();
    chmod(dir_.c_str(), 01777);  // root's and sticky: fit for anyone's socket
    path_ = dir_ + "/s.sock";
    int ready[2];
    ASSERT_EQ(pipe(ready), 0);
    server_ = fork();
    ASSERT_GE(server_, 0);
    if (server_ == 0) {  // the other user's server: listens until killed
      if (setgid(kOtherUid) != 0 || setuid(kOtherUid) != 0) _exit(1);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // after setuid, which clears it: never outlives the test
      const int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
      sockaddr_un address;
      umask(0);
      if (!MakeUnixAddress(path_, &address) || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(fd, 8) != 0) _exit(1);
      (void)!write(ready[1], "r", 1);
      for (;;) pause();
    }
    close(ready[1]);
    char byte = 0;
    ASSERT_EQ(read(ready[0], &byte, 1), 1);
    close(ready[0]);
  }
  void TearDown() override {
    if (server_ > 0) {
      kill(server_, SIGKILL);
      waitpid(server_, nullptr, 0);
    }
    unsetenv(kServerUidVariable);
    if (!dir_.empty()) SocketDirTest::TearDown();
  }
  std::string path_;
  pid_t server_ = -1;
};

TEST_F(TrustedServer, RefusesAServerOfAnotherUid) {
  std::string refusal;
  EXPECT_EQ(ConnectTrustedServer(path_, &refusal), -1);
  EXPECT_NE(refusal.find("runs as uid 65534"), std::string::npos) << refusal;
  EXPECT_NE(refusal.find("MEMLEDGER_SERVER_UID=65534"), std::string::npos) << refusal;
}

TEST_F(TrustedServer, TrustsTheUidOrUserThatMemledgerServerUidNames) {
  for (const char* value : {"65534", "nobody"}) {
    setenv(kServerUidVariable, value, 1);
    std::string refusal;
    const int fd = ConnectTrustedServer(path_, &refusal);
    EXPECT_GE(fd, 0) << value << ": " << refusal;
    if (fd >= 0) close(fd);
  }
  setenv(kServerUidVariable, "no-such-user-memledger", 1);
  std::string refusal;
  EXPECT_EQ(ConnectTrustedServer(path_, &refusal), -1);
  EXPECT_NE(refusal.find("names no user"), std::string::npos) << refusal;
}

TEST_F(TrustedServer, NoServerThereIsNoRefusal) {
  std::string refusal;
  EXPECT_EQ(ConnectTrustedServer(dir_ + "/none.sock", &refusal), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(refusal, "");
  EXPECT_EQ(ConnectTrustedServer(dir_ + "/no-dir/none.sock", &refusal), -1);
  EXPECT_EQ(refusal, "");
}

}  // namespace
}  // namespace memledger
