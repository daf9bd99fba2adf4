// run_command.cc — see run_command.h.
#include "run_command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "capture/replay.h"
#include "report/summary_json.h"
#include "report/text_report.h"

namespace memledger {
namespace {

std::string DefaultOutput(const std::string& program, pid_t pid) {
  const std::size_t slash = program.rfind('/');
  const std::string base = slash == std::string::npos ? program : program.substr(slash + 1);
  return "memledger." + base + "." + std::to_string(pid) + ".mlcap";
}

[[noreturn]] void ExecChild(const RunOptions& options, const std::string& output) {
  setenv("MEMLEDGER", "1", 1);
  setenv("MEMLEDGER_OUTPUT", output.c_str(), 1);
  std::vector<char*> argv;
  for (const std::string& arg : options.command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "memledger run: cannot run %s: %s\n", argv[0], std::strerror(errno));
  _exit(127);
}

}  // namespace

int RunCommand(const RunOptions& options) {
  // The default capture name holds the child's pid: parent and child apply the same rule.
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "memledger run: fork failed: %s\n", std::strerror(errno));
    return 127;
  }
  if (child == 0) {
    ExecChild(options, options.output.empty() ? DefaultOutput(options.command[0], getpid()) : options.output);
  }
  const std::string output = options.output.empty() ? DefaultOutput(options.command[0], child) : options.output;

  // The terminal's ^C reaches the child too; the parent stays to read the capture.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  const bool killed = WIFSIGNALED(status);
  const int exit_status = killed ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
  if (exit_status == 127 && !killed && access(output.c_str(), F_OK) != 0) return 127;

  Ledger ledger;
  const ReplayResult replay = ReplayCapture(output, ledger);
  if (!replay.opened) {
    std::fprintf(stderr,
                 "memledger run: %s\nmemledger run: %s wrote no capture; is it linked with libmemledger "
                 "(or does it load it)?\n",
                 replay.error.c_str(), options.command[0].c_str());
    return exit_status != 0 ? exit_status : 1;
  }
  if (!replay.problem.empty()) std::fprintf(stderr, "memledger run: %s\n", replay.problem.c_str());
  if (killed) {
    // The program printed no exit report: print the books from its capture.
    std::fprintf(stderr, "memledger run: %s was killed by signal %d; its books from %s:\n%s",
                 options.command[0].c_str(), WTERMSIG(status), output.c_str(), TextReport(ledger).c_str());
  }
  if (!options.summary_json.empty()) {
    std::ofstream out(options.summary_json);
    out << SummaryJson(ledger) << '\n';
    if (!out) {
      std::fprintf(stderr, "memledger run: cannot write %s\n", options.summary_json.c_str());
      return exit_status != 0 ? exit_status : 1;
    }
  }
  return exit_status;
}

}  // namespace memledger
