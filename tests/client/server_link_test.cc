// server_link_test.cc — how long a handshake waits for its server
// (src/client/server_link.h, AcceptWait): past its bound while the server's
// process runs (a server starved of CPU answers late, and the process's
// books end in it), never past it for a server stopped by a signal or a
// debugger. The server here is a real process (a forked child) listening on
// a real socket, so that the handshake sees its pid as a client sees a
// server's; it takes the offered ring as a server does (ring_ownership.h),
// through the mapping it inherited.
#include "client/server_link.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "control/handshake.h"
#include "control/unix_socket.h"
#include "control/wire_protocol.h"
#include "ring/ring_ownership.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;

constexpr AcceptWait kWait{.bound = 200ms, .while_server_runs = std::chrono::hours(1)};

enum class ServerDoes { kAnswerAfterTheBound, kStopOnHello };

// A server process at `path`, ready when this returns: it accepts one
// connection, reads its Hello and then does `what`.
pid_t StartServer(const std::string& path, EventRing& ring, ServerDoes what) {
  int ready[2];
  EXPECT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(ready[0]);
    sockaddr_un address{};
    const int listener = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (!MakeUnixAddress(path, &address) || bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        listen(listener, 4) != 0) {
      _exit(2);
    }
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(3);
    const int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    HelloMessage hello{};
    std::array<int, 2> passed{-1, -1};
    if (ReceivePacket(fd, &hello, sizeof(hello), std::chrono::milliseconds(-1), passed) !=
        static_cast<long>(sizeof(hello))) {
      _exit(4);
    }
    if (what == ServerDoes::kStopOnHello) raise(SIGSTOP);
    // The client began to wait before it sent the Hello: twice the bound
    // from here is past it.
    std::this_thread::sleep_for(2 * kWait.bound);
    std::uint16_t owned = 0;
    if (!AcceptRing(ring.header(), static_cast<std::uint16_t>(hello.ring_epoch), &owned)) _exit(5);
    const WelcomeMessage welcome = MakeWelcome(WelcomeStatus::kAccepted, "");
    if (!SendPacket(fd, &welcome, sizeof(welcome))) _exit(6);
    char end;
    while (read(fd, &end, 1) > 0) {
    }
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  EXPECT_EQ(read(ready[0], &byte, 1), 1) << "the server did not start";
  close(ready[0]);
  return pid;
}

class ServerLinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("memledger-server-link-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::string error;
    ring_ = EventRing::Create(kMinRingSlots, OnFull::kBlock, &error);
    ASSERT_NE(ring_, nullptr) << error;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "s.sock").string(); }

  std::filesystem::path dir_;
  std::unique_ptr<EventRing> ring_;
};

// A server that runs but answers after the bound gets the ring.
TEST_F(ServerLinkTest, AServerThatRunsIsWaitedForPastTheBound) {
  const pid_t server = StartServer(Path(), *ring_, ServerDoes::kAnswerAfterTheBound);
  const int fd = ConnectUnixSocket(Path(), SOCK_SEQPACKET);
  ASSERT_GE(fd, 0);
  std::string reason;
  const int control = HandRingToServer(fd, Path(), *ring_, "t", nullptr, {}, kWait, &reason);
  EXPECT_EQ(control, fd) << reason;
  close(fd);
  int status = 0;
  ASSERT_EQ(waitpid(server, &status, 0), server);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "server status " << status;
}

// A server stopped with the Hello in hand is not waited for past the bound
// (waiting while it is stopped would wait the hour: ctest's timeout): the
// ring is the process's again, and the server cannot take it when it
// continues.
TEST_F(ServerLinkTest, AStoppedServerIsNotWaitedForPastTheBound) {
  const pid_t server = StartServer(Path(), *ring_, ServerDoes::kStopOnHello);
  const int fd = ConnectUnixSocket(Path(), SOCK_SEQPACKET);
  ASSERT_GE(fd, 0);
  std::string reason;
  EXPECT_EQ(HandRingToServer(fd, Path(), *ring_, "t", nullptr, {}, kWait, &reason), -1);
  EXPECT_NE(reason.find("did not answer"), std::string::npos) << reason;
  kill(server, SIGCONT);  // it tries to take the ring now, and cannot (exit status 5)
  int status = 0;
  ASSERT_EQ(waitpid(server, &status, 0), server);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 5) << "server status " << status;
}

}  // namespace
}  // namespace memledger
