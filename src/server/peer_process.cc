// peer_process.cc — a peer process's pidfd, start time and end, as the kernel
// says (peer_process.h).
#include "server/peer_process.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

namespace memledger {
namespace {

// PF_EXITING of include/linux/sched.h: set when the process begins to exit.
constexpr std::uint64_t kPfExiting = 0x4;

#ifndef SO_PEERPIDFD
constexpr int SO_PEERPIDFD = 77;  // include/uapi/asm-generic/socket.h, Linux 6.5
#endif

// The first 64 bytes of struct pidfd_info (include/uapi/linux/pidfd.h,
// PIDFD_INFO_SIZE_VER0), exit_code where Linux 6.15 put it; the kernel
// copies what the caller's size holds.
struct PidfdInfo {
  std::uint64_t mask;
  std::uint64_t cgroupid;
  std::uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  std::int32_t exit_code;
};
static_assert(sizeof(PidfdInfo) == 64);
constexpr std::uint64_t kPidfdInfoExit = 1u << 3;  // PIDFD_INFO_EXIT
constexpr unsigned long kPidfdGetInfo = _IOWR(0xFF, 11, PidfdInfo);  // PIDFD_GET_INFO

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

std::uint64_t ProcessStartTime(pid_t pid) {
  const auto stat = ReadProcStat(pid);
  return stat ? stat->start_time : 0;
}

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PeerPidfd(int socket_fd, pid_t pid) {
  int pidfd = -1;
  socklen_t size = sizeof(pidfd);
  if (getsockopt(socket_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &size) == 0 && pidfd >= 0) return pidfd;
  return PidfdOpen(pid);
}

PeerExit FromWaitStatus(std::int64_t status) {
  const int signal = static_cast<int>(status & 0x7f);
  if (signal == 0) return {PeerEnd::kExited, static_cast<int>((status >> 8) & 0xff)};
  if (signal == 0x7f) return {PeerEnd::kUnknown, 0};  // stopped: not an end
  return {PeerEnd::kKilled, signal};
}

PeerExit HowPeerEnded(pid_t pid, std::uint64_t start_time, int pidfd, bool may_read_exit_code) {
  if (const auto stat = ReadProcStat(pid); stat && start_time != 0 && stat->start_time == start_time) {
    const bool exiting = stat->state == 'Z' || stat->state == 'X' || (stat->flags & kPfExiting) != 0;
    if (!exiting) return {PeerEnd::kRunning, 0};
    if (!may_read_exit_code) return {PeerEnd::kUnknown, 0};
    return FromWaitStatus(stat->exit_code);
  }
  // Reaped (or its pid taken by another): what the kernel kept for the pidfd.
  if (pidfd >= 0) {
    PidfdInfo info{};
    info.mask = kPidfdInfoExit;
    if (ioctl(pidfd, kPidfdGetInfo, &info) == 0 && (info.mask & kPidfdInfoExit) != 0) {
      return FromWaitStatus(info.exit_code);
    }
  }
  return {PeerEnd::kUnknown, 0};
}

}  // namespace memledger
