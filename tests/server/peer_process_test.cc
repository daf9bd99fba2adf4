// peer_process_test.cc — what the kernel tells of a process the server is
// not the parent of (src/server/peer_process.h): how a real process ended —
// running, exited with a status, killed by a signal — read from /proc while
// it is a zombie and from its pidfd once it is reaped (Linux 6.15 and later).
#include "server/peer_process.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace memledger {
namespace {

TEST(PeerProcess, WaitStatuses) {
  EXPECT_EQ(FromWaitStatus(0).how, PeerEnd::kExited);
  EXPECT_EQ(FromWaitStatus(3 << 8).code, 3);
  EXPECT_EQ(FromWaitStatus(SIGKILL).how, PeerEnd::kKilled);
  EXPECT_EQ(FromWaitStatus(SIGKILL).code, SIGKILL);
  EXPECT_EQ(FromWaitStatus(SIGSEGV | 0x80).code, SIGSEGV);  // with a core dump
}

// A child that runs `body`, its start time and a pidfd for it.
struct Child {
  pid_t pid;
  std::uint64_t start_time;
  int pidfd;
};
template <typename Body>
Child Start(Body body) {
  int ready[2];
  EXPECT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the test (a child may pause)
    close(ready[0]);
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(99);
    body();
    _exit(0);
  }
  close(ready[1]);
  char byte;
  EXPECT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  return Child{pid, ProcessStartTime(pid), PidfdOpen(pid)};
}
// Waits (up to 60 s) until the child has exited: a zombie, not reaped.
bool Exited(const Child& child) {
  pollfd p{child.pidfd, POLLIN, 0};
  return poll(&p, 1, 60000) == 1;
}
bool KernelKeepsExitForPidfds() {
  utsname name{};
  uname(&name);
  int major = 0, minor = 0;
  std::sscanf(name.release, "%d.%d", &major, &minor);
  return major > 6 || (major == 6 && minor >= 15);
}

TEST(PeerProcess, ARunningProcessIsRunning) {
  const Child child = Start([] { pause(); });
  EXPECT_EQ(HowPeerEnded(child.pid, child.start_time, child.pidfd, true).how, PeerEnd::kRunning);
  kill(child.pid, SIGKILL);
  waitpid(child.pid, nullptr, 0);
  close(child.pidfd);
}

TEST(PeerProcess, AKilledZombieIsKilledWithItsSignal) {
  const Child child = Start([] { pause(); });
  kill(child.pid, SIGKILL);
  ASSERT_TRUE(Exited(child));
  const PeerExit exit = HowPeerEnded(child.pid, child.start_time, child.pidfd, true);
  EXPECT_EQ(exit.how, PeerEnd::kKilled);
  EXPECT_EQ(exit.code, SIGKILL);
  // Not allowed to read its exit code: nothing is known.
  EXPECT_EQ(HowPeerEnded(child.pid, child.start_time, -1, false).how, PeerEnd::kUnknown);
  waitpid(child.pid, nullptr, 0);
  close(child.pidfd);
}

TEST(PeerProcess, AnExitedZombieIsExitedWithItsStatus) {
  const Child child = Start([] { _exit(3); });
  ASSERT_TRUE(Exited(child));
  const PeerExit exit = HowPeerEnded(child.pid, child.start_time, child.pidfd, true);
  EXPECT_EQ(exit.how, PeerEnd::kExited);
  EXPECT_EQ(exit.code, 3);
  waitpid(child.pid, nullptr, 0);
  close(child.pidfd);
}

TEST(PeerProcess, OnceReapedOnlyItsPidfdKnows) {
  const Child killed = Start([] { pause(); });
  const Child exited = Start([] { _exit(7); });
  kill(killed.pid, SIGTERM);
  waitpid(killed.pid, nullptr, 0);
  waitpid(exited.pid, nullptr, 0);
  // Without a pidfd, or with another process's start time, nothing is known.
  EXPECT_EQ(HowPeerEnded(killed.pid, killed.start_time, -1, true).how, PeerEnd::kUnknown);
  if (!KernelKeepsExitForPidfds()) GTEST_SKIP() << "PIDFD_INFO_EXIT needs Linux 6.15";
  PeerExit exit = HowPeerEnded(killed.pid, killed.start_time, killed.pidfd, true);
  EXPECT_EQ(exit.how, PeerEnd::kKilled);
  EXPECT_EQ(exit.code, SIGTERM);
  exit = HowPeerEnded(exited.pid, exited.start_time, exited.pidfd, true);
  EXPECT_EQ(exit.how, PeerEnd::kExited);
  EXPECT_EQ(exit.code, 7);
  close(killed.pidfd);
  close(exited.pidfd);
}

TEST(PeerProcess, APeersPidfdFromItsSocket) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  const int pidfd = PeerPidfd(pair[0], getpid());
  ASSERT_GE(pidfd, 0);
  // It is this process's, which runs.
  EXPECT_EQ(HowPeerEnded(getpid(), ProcessStartTime(getpid()), pidfd, true).how, PeerEnd::kRunning);
  close(pidfd);
  close(pair[0]);
  close(pair[1]);
}

}  // namespace
}  // namespace memledger
