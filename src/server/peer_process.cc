// peer_process.cc — a peer process's pidfd, start time and end, as the kernel
// says (peer_process.h).
#include "server/peer_process.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>


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

}  // namespace

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
