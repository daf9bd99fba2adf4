// proc_stat_test.cc — what /proc says of another process
// (src/control/proc_stat.h): /proc/PID/stat parsed (comm with spaces and
// parentheses); a process's own stat, comm and command line (NULs between
// arguments, bounded); a stopped process told from a
// running one; /proc files read after their process went.
#include "control/proc_stat.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <optional>
#include <string>

namespace memledger {
namespace {

// A child that pauses until killed (never outliving the test), once it runs.
pid_t PausedChild() {
  int ready[2];
  EXPECT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(ready[0]);
    char byte = 1;
    if (write(ready[1], &byte, 1) != 1) _exit(99);
    for (;;) pause();
  }
  close(ready[1]);
  char byte;
  EXPECT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  return pid;
}

TEST(ProcStat, ParsesProcStat) {
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

TEST(ProcStat, ReadsItsOwnStat) {
  const auto stat = ReadProcStat(getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'R');
  EXPECT_NE(stat->start_time, 0u);
  EXPECT_EQ(stat->start_time, ProcessStartTime(getpid()));
  EXPECT_EQ(ProcessStartTime(-1), 0u);
}

// A process stopped by a signal is stopped; sleeping (paused), continued or
// gone, it is not. (The state changes when the signal is delivered: waitpid
// with WUNTRACED returns once it has been.)
TEST(ProcStat, TellsAStoppedProcessFromARunningOne) {
  const pid_t child = PausedChild();
  EXPECT_FALSE(ProcessIsStopped(child));
  kill(child, SIGSTOP);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(status));
  EXPECT_TRUE(ProcessIsStopped(child));
  kill(child, SIGCONT);
  ASSERT_EQ(waitpid(child, &status, WCONTINUED), child);
  EXPECT_FALSE(ProcessIsStopped(child));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(ProcessIsStopped(child));
}

// A server opens a peer's /proc file while the peer lives and reads it
// after the peer was reaped (it may go at any moment): the read fails with
// ESRCH, which a std::ifstream read turned into an exception that took the
// server down. Now it is no text, and nothing throws.
TEST(ProcStat, AProcFileReadAfterItsProcessWasReapedIsNoTextNotAThrow) {
  const pid_t child = PausedChild();
  const std::string dir = "/proc/" + std::to_string(child);
  const int stat = open((dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  const int comm = open((dir + "/comm").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(stat, 0);
  ASSERT_GE(comm, 0);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  std::optional<std::string> text;
  EXPECT_NO_THROW(text = ReadProcText(stat));
  EXPECT_FALSE(text.has_value()) << *text;
  EXPECT_NO_THROW(text = ReadProcText(comm));
  EXPECT_FALSE(text.has_value()) << *text;
  EXPECT_FALSE(ReadProcStat(child).has_value());
  EXPECT_EQ(ReadProcComm(child), "");
  close(stat);
  close(comm);
}

TEST(ProcStat, ReadsAProcessComm) {
  const std::string comm = ReadProcComm(getpid());
  EXPECT_FALSE(comm.empty());
  EXPECT_EQ(comm.find('\n'), std::string::npos);
  EXPECT_EQ(comm, std::string(program_invocation_short_name).substr(0, 15));
}

TEST(ProcStat, ParsesACommandLine) {
  using std::string_literals::operator""s;
  EXPECT_EQ(ParseCommandLine("sim\0llm\0--iterations\0005\0"s), "sim llm --iterations 5");
  EXPECT_EQ(ParseCommandLine("retitled by the process\0\0\0"s), "retitled by the process");
  EXPECT_EQ(ParseCommandLine(""), "");
  EXPECT_EQ(ParseCommandLine("\xff\xfe\0x"s), "\xff\xfe x");  // any bytes, kept: renderers make them printable
  EXPECT_EQ(ParseCommandLine(std::string(3 * kMaxCommandLineBytes, 'a')), std::string(kMaxCommandLineBytes, 'a'));
}

TEST(ProcStat, ReadsAProcessCommandLine) {
  const pid_t child = PausedChild();  // forked, not exec'd: the test's own command line
  const std::string line = ReadProcCommandLine(child);
  EXPECT_EQ(line.find('\0'), std::string::npos);
  EXPECT_EQ(line.rfind(program_invocation_name, 0), 0u) << line;
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(ReadProcCommandLine(child), "");  // gone
}

}  // namespace
}  // namespace memledger
