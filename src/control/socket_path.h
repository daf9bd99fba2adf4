// socket_path.h — where the control socket lives, and which directories may
// hold one. Shared by the server, the client library and the query tools, so
// all three find the same socket by the same rules.
//
// The default socket is in a directory private to the user, so no one else
// can put a socket, or a symlink to one, where the user's programs look:
//   - $XDG_RUNTIME_DIR/memledger.sock, when $XDG_RUNTIME_DIR is private
//     (PrivateDirectoryProblem is empty: a real directory, not a symlink,
//     owned by the user, writable by no one else — systemd makes it 0700);
//   - else /tmp/memledger-$UID/memledger.sock. The server makes that
//     directory 0700; a directory already there must pass the same check,
//     else the server refuses to start and clients do not connect.
// An explicit path (--socket, MEMLEDGER_SOCKET) may be anywhere whose
// directory passes SharedDirectoryProblem: owned by the user, root or
// another trusted owner, and writable by no one else unless sticky (like
// /tmp, where no one can remove or rename another user's file).
//
// Not thread-safe: reads the environment (ChooseDefaultSocket's callers).
#pragma once

#include <sys/types.h>

#include <optional>
#include <span>
#include <string>

namespace memledger {

inline constexpr char kSocketFileName[] = "memledger.sock";

// The default socket for `uid`, given $XDG_RUNTIME_DIR (`xdg_runtime_dir`,
// null when unset) and the temporary directory (normally "/tmp").
struct DefaultSocket {
  std::string path;
  std::string private_dir;      // the directory holding it
  bool in_tmp = false;          // private_dir is <tmp>/memledger-$UID (the server makes it)
  std::string xdg_passed_over;  // why $XDG_RUNTIME_DIR was not used, when it was set
};
DefaultSocket ChooseDefaultSocket(const char* xdg_runtime_dir, const std::string& tmp_dir, uid_t uid);

// ChooseDefaultSocket(getenv("XDG_RUNTIME_DIR"), "/tmp", geteuid()).path:
// the socket a server listens on, and clients look for, by default.
std::string DefaultSocketPath();

// What makes `dir` not private to `uid` ("" when it is): it must be a
// directory itself (lstat: not a symlink), owned by `uid`, with no write
// permission for group or others. The text names the path and the fault.
std::string PrivateDirectoryProblem(const std::string& dir, uid_t uid);

// What makes the directory holding `socket_path` unfit to hold a server's
// socket ("" when it is fit): it must be owned by one of `owners` or root,
// and writable by no one else unless it is sticky. Symlinks on the way are
// followed (/var/run -> /run): only the directory reached counts.
// `missing` (optional) is set when the directory does not exist.
std::string SharedDirectoryProblem(const std::string& socket_path, std::span<const uid_t> owners,
                                   bool* missing = nullptr);

// The path the server listens on: `requested` when not empty, else the
// default — making <tmp_dir>/memledger-$UID (0700) when that is the place and
// checking it is private. nullopt and *error (naming the path and the fault)
// when the default directory is not private. Says on stderr why
// $XDG_RUNTIME_DIR was passed over, when it was.
std::optional<std::string> ServerSocketPath(const std::string& requested, std::string* error,
                                            const std::string& tmp_dir = "/tmp");

}  // namespace memledger
