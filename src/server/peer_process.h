// peer_process.h — what the kernel tells the server about a peer process it
// is not the parent of: a pidfd for it, and how it ended. When it started
// (with the pid, that tells it from a later process reusing the pid) and its
// name are read from /proc (control/proc_stat.h).
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

#include "control/proc_stat.h"  // what /proc says of the peer

namespace memledger {

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
