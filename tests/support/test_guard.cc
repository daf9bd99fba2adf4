// test_guard.cc — runs one test program so that it can never hang ctest.
//
// ctest ends a test when its process has exited *and* its output pipe is
// closed. A process the test left behind — a server it started, a client it
// stopped with SIGSTOP, an orphan of a crashed helper — holds that pipe, and
// ctest then waits forever, past the test's TIMEOUT (ctest kills only the
// test's own process) and past CI's budget, with no word of which test.
//
// usage: memledger-test-guard SECONDS COMMAND [ARGS...]
//
// The guard is the subreaper of the test's process tree (every orphan of the
// tree comes to it) and:
// - when COMMAND exits, kills what the tree left running (and names each
//   process on standard error), then exits as COMMAND did;
// - if COMMAND still runs after SECONDS (ctest's TIMEOUT for the test, less
//   a margin so this comes first), lists the tree (pid, state, kernel wait
//   channel, command line) and each process's threads (state, wait channel,
//   CPU time: running or waiting?), sends COMMAND SIGABRT (a Python test then
//   prints every thread's traceback: PYTHONFAULTHANDLER is set for it),
//   prints the threads' stacks of the first two processes below COMMAND (gdb,
//   when installed; 20 s each), and kills the tree; exit status 124. The
//   quick facts come first: on a loaded machine gdb may not finish;
// - if ctest (its parent) dies or ends it with SIGTERM/SIGINT/SIGHUP, kills
//   the tree and exits (a killed ctest leaves no test running on).
// SECONDS is a guard against hangs, never a measure of the test: a test
// asserts what happened, not how fast.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct ProcessInfo {
  pid_t parent = 0;
  char state = '?';
  std::string command;  // /proc/PID/cmdline, spaces for NULs
  std::string wait_channel;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every process on the host, by pid: its parent, state and command line.
std::map<pid_t, ProcessInfo> ReadProcesses() {
  std::map<pid_t, ProcessInfo> processes;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return processes;
  while (const dirent* entry = readdir(proc)) {
    char* end = nullptr;
    const long pid = std::strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    const std::string dir = std::string("/proc/") + entry->d_name;
    // "PID (COMM) S PPID ...": COMM may hold spaces and parentheses.
    const std::string stat = ReadFile(dir + "/stat");
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 4 >= stat.size()) continue;
    ProcessInfo info;
    info.state = stat[close + 2];
    info.parent = static_cast<pid_t>(std::strtol(stat.c_str() + close + 4, nullptr, 10));
    info.command = ReadFile(dir + "/cmdline");
    for (char& c : info.command) c = c == '\0' ? ' ' : c;
    if (info.command.empty()) info.command = "[" + stat.substr(stat.find('(') + 1, close - stat.find('(') - 1) + "]";
    info.wait_channel = ReadFile(dir + "/wchan");
    processes[static_cast<pid_t>(pid)] = info;
  }
  closedir(proc);
  return processes;
}

// The processes below `root` (not root itself), parents before children.
std::vector<pid_t> Descendants(const std::map<pid_t, ProcessInfo>& processes, pid_t root) {
  std::vector<pid_t> found = {root};
  for (std::size_t i = 0; i < found.size(); ++i) {
    for (const auto& [pid, info] : processes) {
      if (info.parent == found[i]) found.push_back(pid);
    }
  }
  found.erase(found.begin());
  return found;
}

void Describe(const std::map<pid_t, ProcessInfo>& processes, const std::vector<pid_t>& pids) {
  for (pid_t pid : pids) {
    const ProcessInfo& info = processes.at(pid);
    std::fprintf(stderr, "  pid %d (parent %d) state %c wchan %s: %.300s\n", pid, info.parent, info.state,
                 info.wait_channel.empty() ? "-" : info.wait_channel.c_str(), info.command.c_str());
  }
}

// One line per thread of `pid`: its id, name, state, kernel wait channel and
// the CPU time it has used (a thread that gains CPU between two reports runs).
void DescribeThreads(pid_t pid) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const std::string task = tasks + "/" + entry->d_name;
    const std::string stat = ReadFile(task + "/stat");
    const std::size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) continue;
    // After COMM: state (field 3) ... utime (14), stime (15).
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> field;
    for (std::string f; fields >> f && field.size() < 13;) field.push_back(f);
    if (field.size() < 13) continue;
    const double cpu = (std::strtod(field[11].c_str(), nullptr) + std::strtod(field[12].c_str(), nullptr)) / ticks;
    const std::string wchan = ReadFile(task + "/wchan");
    std::fprintf(stderr, "    thread %s (%s) state %s wchan %s cpu %.2f s\n", entry->d_name,
                 stat.substr(open + 1, close - open - 1).c_str(), field[0].c_str(),
                 wchan.empty() ? "-" : wchan.c_str(), cpu);
  }
  closedir(dir);
}

// Each thread's stack of `pid`, by gdb (bounded: `timeout`), on standard
// error; says so when there is no gdb.
void PrintStacks(pid_t pid) {
  std::fflush(stderr);
  const pid_t child = fork();
  if (child == 0) {
    dup2(STDERR_FILENO, STDOUT_FILENO);
    const std::string target = std::to_string(pid);
    execlp("timeout", "timeout", "20", "gdb", "-nx", "-batch", "-p", target.c_str(), "-ex", "thread apply all bt",
           static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) std::fprintf(stderr, "  (no gdb here for its stacks)\n");
}

// Reaps every child that has exited.
void ReapAll() {
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

// Reaps every child that has exited; returns COMMAND's wait status once it is
// among them.
bool ReapExited(pid_t command, int& command_status) {
  bool command_exited = false;
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return command_exited;
    if (pid == command) {
      command_status = status;
      command_exited = true;
    }
  }
}

// Kills every process below this one, until none is left, and reaps them.
// Stopped processes die of SIGKILL too.
void KillTree(const char* why) {
  bool named = false;
  for (int round = 0; round < 100; ++round) {
    const std::map<pid_t, ProcessInfo> processes = ReadProcesses();
    std::vector<pid_t> left;
    for (pid_t pid : Descendants(processes, getpid())) {
      if (processes.at(pid).state != 'Z') left.push_back(pid);
    }
    if (left.empty()) break;
    if (!named) {
      std::fprintf(stderr, "memledger-test-guard: %s; killing what is left:\n", why);
      Describe(processes, left);
      named = true;
    }
    for (pid_t pid : left) kill(pid, SIGKILL);
    usleep(10'000);
    ReapAll();  // the killed, and their orphans as they come here
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: memledger-test-guard SECONDS COMMAND [ARGS...]\n");
    return 2;
  }
  const double seconds = std::strtod(argv[1], nullptr);
  if (!(seconds > 0)) {
    std::fprintf(stderr, "memledger-test-guard: SECONDS must be a positive number, not '%s'\n", argv[1]);
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::fprintf(stderr, "memledger-test-guard: cannot become the tree's subreaper: %s\n", std::strerror(errno));
    return 2;
  }
  setenv("PYTHONFAULTHANDLER", "1", 0);

  // Waited for below: a child's exit, or the end of the guard's own run.
  sigset_t child_exits;
  sigemptyset(&child_exits);
  for (const int signal_number : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&child_exits, signal_number);
  sigset_t previous;
  sigprocmask(SIG_BLOCK, &child_exits, &previous);
  const pid_t runner = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != runner) return 2;  // it died before the guard could ask to be told
  const pid_t command = fork();
  if (command < 0) {
    std::fprintf(stderr, "memledger-test-guard: fork: %s\n", std::strerror(errno));
    return 2;
  }
  if (command == 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "memledger-test-guard: cannot run %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  int status = 0;
  bool exited = false;
  while (!(exited = ReapExited(command, status))) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    const auto left_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec wait = {static_cast<time_t>(left_ns / 1'000'000'000), static_cast<long>(left_ns % 1'000'000'000)};
    const int got = sigtimedwait(&child_exits, nullptr, &wait);
    if (got == SIGTERM || got == SIGINT || got == SIGHUP) {
      KillTree((std::string("the guard was ended (") + strsignal(got) + ")").c_str());
      return 128 + got;
    }
  }
  if (!exited) {
    std::fprintf(stderr, "memledger-test-guard: %s still runs after %g s (a hang?); its processes:\n", argv[2],
                 seconds);
    const std::map<pid_t, ProcessInfo> processes = ReadProcesses();
    const std::vector<pid_t> tree = Descendants(processes, getpid());
    for (pid_t pid : tree) {
      Describe(processes, {pid});
      DescribeThreads(pid);
    }
    std::fflush(stderr);
    kill(command, SIGABRT);  // a Python test prints its threads' tracebacks
    for (int i = 0; i < 100 && !ReapExited(command, status); ++i) usleep(50'000);
    // The stacks of what the test waits on (COMMAND itself, a Python
    // script, spoke for itself above): the first two, parents first.
    constexpr int kStacksOf = 2;
    int described = 0;
    for (pid_t pid : tree) {
      if (pid == command || processes.at(pid).state == 'Z' || described == kStacksOf) continue;
      ++described;
      std::fprintf(stderr, "memledger-test-guard: the stacks of pid %d:\n", pid);
      PrintStacks(pid);
    }
    KillTree("the test hung");
    return 124;
  }
  KillTree("the test exited and left processes running");
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  const int signal_number = WTERMSIG(status);
  std::fprintf(stderr, "memledger-test-guard: %s was killed by signal %d (%s)\n", argv[2], signal_number,
               strsignal(signal_number));
  return 128 + signal_number;
}
