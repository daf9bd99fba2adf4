// peer_process.h — what the kernel tells the server about a peer process it
// is not the parent of: a pidfd for it, when it started (with the pid, that
// tells it from a later process reusing the pid), and how it ended.
//
// How a non-child ended is knowable only while the kernel still holds it:
//   - from when it starts to exit (PF_EXITING; its exit code is set before
//     its files, and so its sockets, are closed) until its parent reaps it,
//     /proc/PID/stat's exit_code field (readable by its own uid or root);
//   - after it is reaped, PIDFD_GET_INFO with PIDFD_INFO_EXIT on a pidfd
//     taken before it exited (Linux 6.15 and later).
// Before 6.15, a process reaped before the server looks has left no trace of
// how it ended: the answer is kUnknown.
//
// Free functions; thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memledger {

// The fields of /proc/PID/stat the server reads.
struct ProcStat {
  char state = '?';            // R, S, D, Z, X, ...
  std::uint64_t flags = 0;     // the kernel's PF_* flags
  std::uint64_t start_time = 0;  // clock ticks after boot
  std::int64_t exit_code = 0;  // a wait status; 0 while running (and when not permitted to read it)
};
// Parses the text of /proc/PID/stat (comm may hold spaces and parentheses).
std::optional<ProcStat> ParseProcStat(std::string_view text);
std::optional<ProcStat> ReadProcStat(pid_t pid);
// The text of a /proc file of a process, opened as `fd` (the first 4 KiB:
// stat and comm are shorter); nullopt when it cannot be read. A file opened
// while its process lived fails with ESRCH once the process is reaped: the
// peer may go at any moment, so this is a read that can fail, never a throw
// (a std::ifstream read through istreambuf_iterator throws std::ios_failure
// there, and took the server down).
std::optional<std::string> ReadProcText(int fd);
// /proc/PID/comm without its newline; empty when the process is gone.
std::string ReadProcComm(pid_t pid);
// When the process started (/proc/PID/stat's starttime); 0 when unknown.
std::uint64_t ProcessStartTime(pid_t pid);

// pidfd_open(pid), close-on-exec; -1 when it fails.
int PidfdOpen(pid_t pid);
// A pidfd for the process at the other end of a connected Unix socket: the
// one that connected (SO_PEERPIDFD, Linux 6.5), else pidfd_open(pid) of its
// SO_PEERCRED pid; -1 when neither works.
int PeerPidfd(int socket_fd, pid_t pid);

enum class PeerEnd : std::uint8_t {
  kRunning,  // alive and not exiting
  kExited,   // exited on its own (exit(), return from main)
  kKilled,   // ended by a signal
  kUnknown,  // gone, and nothing left says how
};
struct PeerExit {
  PeerEnd how = PeerEnd::kUnknown;
  int code = 0;  // kExited: the exit status; kKilled: the signal
};
// A wait status (waitpid's) as a PeerExit.
PeerExit FromWaitStatus(std::int64_t status);
// How process `pid`, which started at `start_time` (ProcessStartTime), has
// ended so far; `pidfd` (may be -1) was taken while it lived. Its exit code
// in /proc is only believed when `may_read_exit_code` (the server's uid is
// its, or root's): otherwise an exiting process is kUnknown.
PeerExit HowPeerEnded(pid_t pid, std::uint64_t start_time, int pidfd, bool may_read_exit_code);

}  // namespace memledger
