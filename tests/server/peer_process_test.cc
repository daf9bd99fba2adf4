// peer_process_test.cc — what the kernel tells of a process the server is
// not the parent of (src/server/peer_process.h): /proc/PID/stat parsed
// (comm with spaces and parentheses), and how a real process ended — running,
// exited with a status, killed by a signal — read from /proc while it is a
// zombie and from its pidfd once it is reaped (Linux 6.15 and later); /proc
// files read after their process went.
#include "server/peer_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>

namespace memledger {
namespace {

TEST(PeerProcess, ParsesProcStat) {
  // Fields 3 (state), 9 (flags), 22 (starttime) and 52 (exit_code); comm may hold ") (".
  std::string text = "1234 (a) (b c) Z 1 1234 1234 0 -1 4194564";
  for (int field = 10; field <= 21; ++field) text += " " + std::to_string(field);
  text += " 987654";
  for (int field = 23; field <= 51; ++field) text += " " + std::to_string(field);
  text += " 9\n";
  const auto stat = ParseProcStat(text);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_EQ(stat->flags, 4194564u);
  EXPECT_EQ(stat->start_time, 987654u);
  EXPECT_EQ(stat->exit_code, 9);
  EXPECT_FALSE(ParseProcStat("1234 (no end").has_value());
  EXPECT_FALSE(ParseProcStat("1234 (short) R 1 2").has_value());
}

TEST(PeerProcess, ReadsItsOwnStat) {
  const auto stat = ReadProcStat(getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'R');
  EXPECT_NE(stat->start_time, 0u);
  EXPECT_EQ(stat->start_time, ProcessStartTime(getpid()));
  EXPECT_EQ(ProcessStartTime(-1), 0u);
}

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

// The server opens a peer's /proc file while the peer lives and reads it
// after the peer was reaped (it may go at any moment): the read fails with
// ESRCH, which a std::ifstream read turned into an exception that took the
// server down. Now it is no text, and nothing throws.
TEST(PeerProcess, AProcFileReadAfterItsProcessWasReapedIsNoTextNotAThrow) {
  const Child child = Start([] { pause(); });
  const std::string dir = "/proc/" + std::to_string(child.pid);
  const int stat = open((dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  const int comm = open((dir + "/comm").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(stat, 0);
  ASSERT_GE(comm, 0);
  kill(child.pid, SIGKILL);
  waitpid(child.pid, nullptr, 0);
  std::optional<std::string> text;
  EXPECT_NO_THROW(text = ReadProcText(stat));
  EXPECT_FALSE(text.has_value()) << *text;
  EXPECT_NO_THROW(text = ReadProcText(comm));
  EXPECT_FALSE(text.has_value()) << *text;
  EXPECT_FALSE(ReadProcStat(child.pid).has_value());
  EXPECT_EQ(ReadProcComm(child.pid), "");
  close(stat);
  close(comm);
  close(child.pidfd);
}

TEST(PeerProcess, ReadsAProcessComm) {
  const std::string comm = ReadProcComm(getpid());
  EXPECT_FALSE(comm.empty());
  EXPECT_EQ(comm.find('\n'), std::string::npos);
  EXPECT_EQ(comm, std::string(program_invocation_short_name).substr(0, 15));
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
