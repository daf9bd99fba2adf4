// listen_socket.h — the server's listening Unix sockets: where one may be
// made, and what is done with a file already at its path.
//
// The socket's directory must be owned by the server's user or root and
// writable by no one else unless sticky (SharedDirectoryProblem,
// socket_path.h). A file already at the path is removed only when it is a
// socket of the server's own user that no server answers on (a dead
// server's); a symlink, a file that is not a socket, or a socket of another
// user is refused and left alone: never followed, unlinked or connected to.
// A live server there is never displaced.
//
// Not thread-safe: sets the process's umask around bind.
#pragma once

#include <string>

namespace memledger {

// A listening, non-blocking Unix socket of `type` at `path`: 0600 from its
// first instant, or 0660 owned by `group` when one is named. Returns -1 and
// sets *error (naming the path and the fault) when it cannot.
int ListenUnixSocket(const std::string& path, int type, const std::string& group, std::string* error);

}  // namespace memledger
