// proc_stat.h — what /proc says of another process, as both ends of the
// protocol read it: the server of a peer (when it started, its name and
// command line, how it ended: server/peer_process.h), a tracked process of its server (whether
// it is stopped: a handback at exit waits for a server that runs, never for
// one stopped in a debugger).
//
// A peer may go at any moment, so every read here can fail and none throws.
// Free functions; thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace memledger {

// The fields of /proc/PID/stat read here.
struct ProcStat {
  char state = '?';            // R, S, D, T, t, Z, X, ...
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
// The most of a command line kept: a display's worth, bounded because the
// process writes it (its argv, or whatever it put there since).
inline constexpr std::size_t kMaxCommandLineBytes = 1024;
// /proc/PID/cmdline's arguments joined by spaces, trailing NULs dropped,
// cut to kMaxCommandLineBytes (maybe mid-character: the bytes are the
// process's, any bytes; renderers make them printable). Parses the file's
// text (ParseCommandLine) or reads it; empty when the process is gone or
// has none (a zombie, a kernel thread).
std::string ParseCommandLine(std::string_view text);
std::string ReadProcCommandLine(pid_t pid);
// When the process started (/proc/PID/stat's starttime); 0 when unknown.
std::uint64_t ProcessStartTime(pid_t pid);
// Stopped by a signal (SIGSTOP, Ctrl-Z, a cgroup freezer's stop) or by a
// debugger (ptrace stop), and so making no progress until someone resumes
// it. False for a running or sleeping process, and when /proc cannot say.
bool ProcessIsStopped(pid_t pid);

}  // namespace memledger
