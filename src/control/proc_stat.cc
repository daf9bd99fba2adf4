// proc_stat.cc — see proc_stat.h.
#include "control/proc_stat.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

namespace memledger {
namespace {

// /proc/PID/NAME's text (ReadProcText); nullopt when the process is gone.
std::optional<std::string> ReadProcFile(pid_t pid, const char* name) {
  const int fd = open(("/proc/" + std::to_string(pid) + "/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  auto text = ReadProcText(fd);
  close(fd);
  return text;
}
}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  // "pid (comm) state ppid ...": comm ends at the last ')'. Fields are
  // numbered from 1 (pid), so what follows comm begins at field 3 (state).
  const std::size_t comm_end = text.rfind(')');
  if (comm_end == std::string_view::npos || comm_end + 2 > text.size()) return std::nullopt;
  std::string_view rest = text.substr(comm_end + 2);
  ProcStat stat;
  int field = 3;
  for (; !rest.empty() && field <= 52; ++field) {
    const std::size_t space = rest.find_first_of(" \n");
    const std::string_view value = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    auto parse = [&](auto& out) {
      return std::from_chars(value.data(), value.data() + value.size(), out).ec == std::errc();
    };
    bool ok = true;
    if (field == 3) {
      ok = value.size() == 1;
      stat.state = ok ? value[0] : '?';
    } else if (field == 9) {
      ok = parse(stat.flags);
    } else if (field == 22) {
      ok = parse(stat.start_time);
    } else if (field == 52) {
      ok = parse(stat.exit_code);
    }
    if (!ok) return std::nullopt;
  }
  if (field <= 22) return std::nullopt;  // exit_code (field 52) is missing only before Linux 3.5: 0
  return stat;
}

std::optional<std::string> ReadProcText(int fd) {
  std::string text(4096, '\0');
  std::size_t size = 0;
  while (size < text.size()) {
    const ssize_t n = read(fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  text.resize(size);
  return text;
}

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  const auto text = ReadProcFile(pid, "stat");
  return text ? ParseProcStat(*text) : std::nullopt;
}

std::string ReadProcComm(pid_t pid) {
  std::string comm = ReadProcFile(pid, "comm").value_or("");
  if (const std::size_t end = comm.find('\n'); end != std::string::npos) comm.resize(end);
  return comm;
}

std::string ParseCommandLine(std::string_view text) {
  std::string line(text.substr(0, kMaxCommandLineBytes));
  while (!line.empty() && line.back() == '\0') line.pop_back();
  for (char& c : line) {
    if (c == '\0') c = ' ';
  }
  return line;
}

std::string ReadProcCommandLine(pid_t pid) { return ParseCommandLine(ReadProcFile(pid, "cmdline").value_or("")); }

std::uint64_t ProcessStartTime(pid_t pid) {
  const auto stat = ReadProcStat(pid);
  return stat ? stat->start_time : 0;
}

bool ProcessIsStopped(pid_t pid) {
  const auto stat = ReadProcStat(pid);
  return stat && (stat->state == 'T' || stat->state == 't');
}

}  // namespace memledger
