// run_command.cc — see run_command.h.
#include "run_command.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "analysis/replay.h"
#include "event/json_text.h"
#include "output_file.h"
#include "report/summary_json.h"
#include "report/text_report.h"
#include "run_captures.h"

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

[[noreturn]] void ExecChild(const RunOptions& options, const std::string& capture_pattern, const std::string& preload) {
  setenv("MEMLEDGER", "1", 1);
  setenv("MEMLEDGER_OUTPUT", capture_pattern.c_str(), 1);
  setenv("MEMLEDGER_OUTPUT_BY_RUN", "1", 1);
  // Segments as the run's options say, whatever the shell has set.
  const SegmentBounds& segments = options.segments;
  const auto bound = [](const char* name, bool set, const std::string& value) {
    if (set) setenv(name, value.c_str(), 1);
    else unsetenv(name);
  };
  bound("MEMLEDGER_OUTPUT_ROTATE_BYTES", segments.max_bytes != 0, std::to_string(segments.max_bytes));
  bound("MEMLEDGER_OUTPUT_ROTATE_SECONDS", segments.max_ns != 0, fmt::format("{:.9f}", segments.max_ns / 1e9));
  bound("MEMLEDGER_OUTPUT_KEEP", segments.keep != 0, std::to_string(segments.keep));
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

// Waits until every process of the tree has exited: this process is their
// subreaper, so descendants whose parents exit first come to it. Returns the
// wait status of each process it reaped (the direct child and those
// orphans; a descendant its own parent reaped is not here).
std::map<pid_t, int> WaitForTree(pid_t child, const std::string& program) {
  std::map<pid_t, int> statuses;
  for (;;) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: none left
    }
    statuses[pid] = status;
    siginfo_t running{};
    if (pid == child && waitid(P_ALL, 0, &running, WEXITED | WNOHANG | WNOWAIT) == 0 && running.si_pid == 0) {
      std::fprintf(stderr, "memledger run: %s exited; waiting for the processes it left running (their memory is "
                   "booked too)\n", program.c_str());
    }
  }
  return statuses;
}

// How a tracked process's capture ended.
enum class Ending {
  kWhole,       // with the process's end record
  kKilled,      // without it: the run reaped the process, killed by a signal
  kWithoutEnd,  // without it, fate unknown to the run: killed, ended by _exit, or its capture was cut
  kIncomplete,  // its writer could not write it (a full disk): its books here are not the process's
};

const char* EndingName(Ending ending) {
  switch (ending) {
    case Ending::kWhole: return "whole";
    case Ending::kKilled: return "killed";
    case Ending::kWithoutEnd: return "without_end";
    case Ending::kIncomplete: return "incomplete";
  }
  return "incomplete";
}

// A capture, replayed into the run's ledger.
struct ReadCapture {
  TrackedCapture capture;
  ReplayResult replay;
  std::optional<int> status;  // its wait status, when the run reaped it
  Ending ending = Ending::kWhole;
  std::string incomplete_why;  // kIncomplete: what is missing
  bool kept = true;            // false: it booked nothing, and its file is gone
};

// Replays the capture of a process the run saw end (it waits until every
// descendant has): one whose capture lacks the end record ended all the
// same, and is booked killed, what it held its leaks.
ReplayResult ReplayEnded(const std::vector<std::string>& paths, Ledger& ledger) {
  ReplayResult replay = ReplayCapture(paths, ledger);
  if (replay.opened && !replay.clean_end) ledger.EndProcess(replay.process, ProcessState::kKilled, -1);
  return replay;
}

ReadCapture Read(const TrackedCapture& capture, const std::map<pid_t, int>& statuses, Ledger& ledger) {
  ReadCapture read;
  read.capture = capture;
  read.replay = ReplayEnded(capture.paths, ledger);
  if (const auto it = statuses.find(capture.pid); it != statuses.end()) read.status = it->second;
  if (!read.replay.opened) {
    read.ending = Ending::kIncomplete;  // a tracked process made it, and not even its header could be written
    read.incomplete_why = read.replay.error;
  } else if (read.replay.write_error != 0) {
    read.ending = Ending::kIncomplete;
    read.incomplete_why = std::string("its writer could not write it all: ") + std::strerror(read.replay.write_error);
  } else if (!read.replay.clean_end) {
    read.ending = read.status && WIFSIGNALED(*read.status) ? Ending::kKilled : Ending::kWithoutEnd;
  }
  return read;
}

// A process that opened no device and booked no buffer, mark or anomaly: a
// shell or a compiler that a preloaded libmemledger was loaded into.
bool BookedNothing(const ReadCapture& read, const Ledger& ledger) {
  if (read.ending == Ending::kIncomplete) return false;
  const ProcessBooks& books = ledger.process(read.replay.process);
  return books.devices.empty() && books.open_devices.empty() && books.marks.empty() && books.complete() &&
         std::all_of(books.anomalies.begin(), books.anomalies.end(), [](std::uint64_t n) { return n == 0; });
}

// `text` with every `from` replaced by `to`.
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Puts the captures worth keeping in place (the first at `output`, the
// others beside it) and removes the others'; messages name the new places.
void PlaceCaptures(std::vector<ReadCapture>& reads, const std::string& output) {
  bool first = true;
  std::map<pid_t, std::uint32_t> placed;  // others of each pid put beside the output so far
  for (ReadCapture& read : reads) {
    if (!read.kept) {
      for (const std::string& path : read.capture.paths) unlink(path.c_str());
      continue;
    }
    const std::vector<std::string> written = read.capture.paths;
    std::string error;
    const std::string place = first ? output : BesideOutput(output, read.capture, placed[read.capture.pid]++);
    if (!PutInPlace(read.capture, place, &error)) std::fprintf(stderr, "memledger run: %s\n", error.c_str());
    first = false;
    // Messages name a file by its path, or a segment by its name.
    const auto name = [](const std::string& path) { return std::filesystem::path(path).filename().string(); };
    for (std::size_t i = 0; i < written.size(); ++i) {
      for (std::string* text : {&read.replay.problem, &read.incomplete_why}) {
        *text = Replaced(*text, written[i], read.capture.paths[i]);
        *text = Replaced(*text, name(written[i]), name(read.capture.paths[i]));
      }
    }
  }
}

std::string Who(const ReadCapture& read) {
  return (read.capture.comm.empty() ? std::string("a process") : read.capture.comm) + " (pid " +
         std::to_string(read.capture.pid) + ")";
}

// What the run says of a capture on stderr. A process whose capture has no
// end record printed no exit report: its books are printed here.
void SayHowItEnded(const ReadCapture& read) {
  if (read.ending == Ending::kIncomplete) {
    std::fprintf(stderr, "memledger run: the capture of %s is incomplete (%s): its books here stop where the "
                 "capture does (the process's exit report, when on, had them whole)\n", Who(read).c_str(),
                 read.incomplete_why.c_str());
    return;
  }
  if (!read.replay.problem.empty()) std::fprintf(stderr, "memledger run: %s\n", read.replay.problem.c_str());
  if (read.ending == Ending::kWhole) return;
  Ledger ledger;
  ReplayEnded(read.capture.paths, ledger);
  if (read.ending == Ending::kKilled) {
    std::fprintf(stderr, "memledger run: %s was killed by signal %d; its books from %s:\n%s", Who(read).c_str(),
                 WTERMSIG(*read.status), read.capture.Name().c_str(), TextReport(ledger).c_str());
  } else {
    std::fprintf(stderr, "memledger run: %s ended without its end record (killed, ended by _exit, or its capture "
                 "was cut); its books from %s:\n%s", Who(read).c_str(), read.capture.Name().c_str(),
                 TextReport(ledger).c_str());
  }
}

// The summary of every kept process's books, each process's row saying
// whether its books are whole, and a "run" section naming each capture and
// how it ended.
std::string RunSummaryJson(const Ledger& ledger, const std::vector<ReadCapture>& reads) {
  using nlohmann::json;
  json summary = Summary(ledger);
  json captures = json::array();
  bool complete = true;
  std::vector<std::uint32_t> left_out;  // rows of processes that booked nothing
  for (const ReadCapture& read : reads) {
    const auto row_index = static_cast<std::uint32_t>(read.replay.process);
    if (!read.kept) {
      left_out.push_back(row_index);
      continue;
    }
    complete = complete && read.ending != Ending::kIncomplete;
    captures.push_back({{"path", read.capture.paths.front()},
                        {"files", read.capture.paths},
                        {"pid", read.capture.pid},
                        {"comm", read.capture.comm},
                        {"ending", EndingName(read.ending)},
                        {"problem", read.ending == Ending::kIncomplete ? read.incomplete_why : read.replay.problem}});
    if (!read.replay.opened || read.ending != Ending::kIncomplete) continue;
    json& row = summary["processes"][row_index];
    row["books_complete"] = false;
    row["capture_problem"] = read.incomplete_why;
    if (read.status && WIFEXITED(*read.status)) row["state"] = "exited";
  }
  std::sort(left_out.rbegin(), left_out.rend());
  for (const std::uint32_t row : left_out) summary["processes"].erase(row);
  summary["run"] = {{"books_complete", complete}, {"captures", std::move(captures)}};
  return JsonText(summary, 2);
}

// No process of the run wrote a capture. Each one that loads libmemledger
// with tracking on (as the run sets it) opens its capture as the library
// loads, or says at once why it cannot: so none loaded it.
void SayNoCapture(const std::string& program, int status, const RunOptions& options) {
  const std::string ended = WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                                : "exited with status " + std::to_string(WEXITSTATUS(status));
  std::fprintf(stderr,
               "memledger run: %s %s, and no process it ran wrote a capture: none loaded libmemledger (a program "
               "linked with it, or loading it, opens its capture as it starts; --cuda preloads it into CUDA "
               "programs), so there are no books%s%s\n",
               program.c_str(), ended.c_str(), options.summary_json.empty() ? "" : "; no summary written to ",
               options.summary_json.c_str());
}

}  // namespace

int RunCommand(const RunOptions& options) {
  const std::string& program = options.command[0];
  // The run's options decide its segments; the shell's variables would have cut its captures unasked.
  for (const char* name :
       {"MEMLEDGER_OUTPUT_ROTATE_BYTES", "MEMLEDGER_OUTPUT_ROTATE_SECONDS", "MEMLEDGER_OUTPUT_KEEP"}) {
    if (const char* value = std::getenv(name); value != nullptr && !options.segments.rotates()) {
      std::fprintf(stderr, "memledger run: %s=%s is not used: --rotate-bytes, --rotate-seconds and --keep cut a "
                   "run's captures\n", name, value);
    }
  }
  std::string preload;
  if (options.cuda) {
    const std::optional<std::string> interposer = CudaInterposer(program);
    if (!interposer) return 127;
    preload = *interposer;
  }
  std::string error;
  const std::optional<std::string> private_dir = MakePrivateCaptureDir(options.output, &error);
  if (!private_dir) {
    std::fprintf(stderr, "memledger run: %s\n", error.c_str());
    return 1;
  }
  // Every descendant whose parent exits first comes to this process, to be waited for.
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  const pid_t child = fork();
  if (child < 0) {
    std::fprintf(stderr, "memledger run: fork failed: %s\n", std::strerror(errno));
    RemovePrivateCaptureDir(*private_dir);
    return 127;
  }
  if (child == 0) ExecChild(options, CapturePattern(*private_dir), preload);
  const std::string output = options.output.empty() ? DefaultOutput(program, child) : options.output;

  // The terminal's ^C reaches the tree too; the run stays to read the captures.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  const std::map<pid_t, int> statuses = WaitForTree(child, program);
  const int status = statuses.contains(child) ? statuses.at(child) : 0;
  const bool killed = WIFSIGNALED(status);
  const int exit_status = killed ? 128 + WTERMSIG(status) : WEXITSTATUS(status);

  const std::vector<TrackedCapture> captures = FindCaptures(*private_dir, child);
  if (captures.empty()) {
    RemovePrivateCaptureDir(*private_dir);
    if (exit_status == 127 && !killed) return 127;  // it did not start (said above)
    SayNoCapture(program, status, options);
    return exit_status != 0 ? exit_status : 1;
  }
  Ledger ledger;
  std::vector<ReadCapture> reads;
  for (const TrackedCapture& capture : captures) reads.push_back(Read(capture, statuses, ledger));
  // Only processes that booked something keep a capture (the first one does in any case).
  for (ReadCapture& read : reads) read.kept = !BookedNothing(read, ledger);
  if (std::none_of(reads.begin(), reads.end(), [](const ReadCapture& read) { return read.kept; })) {
    reads.front().kept = true;
  }
  PlaceCaptures(reads, output);
  RemovePrivateCaptureDir(*private_dir);

  bool complete = true;
  std::size_t kept = 0;
  for (const ReadCapture& read : reads) {
    if (!read.kept) continue;
    SayHowItEnded(read);
    complete = complete && read.ending != Ending::kIncomplete;
    ++kept;
  }
  if (kept > 1) {
    std::fprintf(stderr, "memledger run: %zu tracked processes, a capture each:\n", kept);
    for (const ReadCapture& read : reads) {
      if (read.kept) std::fprintf(stderr, "  %s: %s\n", Who(read).c_str(), read.capture.Name().c_str());
    }
  }
  const int gate = ApplyGate(options.fail_on, ledger, "memledger run");
  int result = exit_status != 0 ? exit_status : gate != 0 ? gate : complete ? 0 : 1;
  if (!options.summary_json.empty()) {
    OutputFile file(options.summary_json);
    if (file.ok()) file.stream() << RunSummaryJson(ledger, reads) << '\n';
    if (!file.Commit()) {
      std::fprintf(stderr, "memledger run: %s\n", file.error().c_str());
      if (result == 0) result = 1;
    }
  }
  return result;
}

}  // namespace memledger
