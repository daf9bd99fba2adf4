// run_command.cc — see run_command.h.
#include "run_command.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>

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

#if defined(__x86_64__)
constexpr const char* kMultiarch = "x86_64-linux-gnu";
#elif defined(__aarch64__)
constexpr const char* kMultiarch = "aarch64-linux-gnu";
#else
constexpr const char* kMultiarch = nullptr;
#endif

// `library` first, then whatever the environment preloads already.
std::string PreloadFirst(const std::string& library) {
  const char* existing = std::getenv("LD_PRELOAD");
  return existing == nullptr || *existing == '\0' ? library : library + ":" + existing;
}

[[noreturn]] void ExecChild(const RunOptions& options, const std::string& output, const std::string& preload) {
  setenv("MEMLEDGER", "1", 1);
  setenv("MEMLEDGER_OUTPUT", output.c_str(), 1);
  if (!preload.empty()) setenv("LD_PRELOAD", PreloadFirst(preload).c_str(), 1);
  std::vector<char*> argv;
  for (const std::string& arg : options.command) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  std::fprintf(stderr, "memledger run: cannot run %s: %s\n", argv[0], std::strerror(errno));
  _exit(127);
}

// libmemledger_cuda.so beside this executable: the build tree's bin/ and
// lib/, and the install layouts. When it is nowhere, says where it looked
// and what to do, and returns nullopt.
std::optional<std::string> CudaInterposer(const std::string& program) {
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  const std::string path = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : std::string();
  const std::string dir = path.substr(0, path.rfind('/'));
  std::vector<std::string> candidates = {dir + "/../lib/libmemledger_cuda.so", dir + "/../lib64/libmemledger_cuda.so"};
  if (kMultiarch != nullptr) candidates.push_back(dir + "/../lib/" + kMultiarch + "/libmemledger_cuda.so");
  for (const std::string& candidate : candidates) {
    char resolved[PATH_MAX];
    if (realpath(candidate.c_str(), resolved) != nullptr && access(resolved, R_OK) == 0) return std::string(resolved);
  }
  std::fprintf(stderr, "memledger run: --cuda needs libmemledger_cuda.so, the CUDA interposer, and it is not here:\n");
  for (const std::string& candidate : candidates) std::fprintf(stderr, "  %s\n", candidate.c_str());
  std::fprintf(stderr,
               "memledger run: it is built only when CMake finds the CUDA toolkit (/usr/local/cuda): reconfigure "
               "with the toolkit installed, or preload it yourself: MEMLEDGER=1 MEMLEDGER_OUTPUT=run.mlcap "
               "LD_PRELOAD=/path/to/libmemledger_cuda.so %s\n",
               program.c_str());
  return std::nullopt;
}

}  // namespace

int RunCommand(const RunOptions& options) {
  std::string preload;
  if (options.cuda) {
    const std::optional<std::string> interposer = CudaInterposer(options.command[0]);
    if (!interposer) return 127;
    preload = *interposer;
  }
  // The default capture name holds the child's pid: parent and child apply the same rule.
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "memledger run: fork failed: %s\n", std::strerror(errno));
    return 127;
  }
  if (child == 0) {
    ExecChild(options, options.output.empty() ? DefaultOutput(options.command[0], getpid()) : options.output, preload);
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
