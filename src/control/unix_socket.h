// unix_socket.h — the one place a Unix socket's address is made and a socket
// is connected to one: the client library and the query client (through
// trusted_server.h), the server's listener (its address, and its probe for a
// live server at the path), tests and benchmarks.
//
// A connect never blocks: a listener whose backlog is full — a stopped or
// stuck server that accepts nothing — makes a blocking connect wait for as
// long as it is stuck; here that is EAGAIN at once, and the caller goes on
// without that server. A Unix socket's connect completes at once or fails,
// so nothing is lost by not waiting.
//
// Thread-safe: no state of its own.
#pragma once

#include <sys/un.h>

#include <cstddef>
#include <string>

namespace memledger {

// The longest path a Unix socket's address holds, its NUL aside (107 on Linux).
inline constexpr std::size_t kMaxUnixSocketPath = sizeof(sockaddr_un::sun_path) - 1;

// The address of the socket at `path`; false, with errno ENAMETOOLONG, when
// `path` is empty or longer than kMaxUnixSocketPath.
bool MakeUnixAddress(const std::string& path, sockaddr_un* address);

// A socket of `type` (SOCK_SEQPACKET, SOCK_STREAM) connected to `address`:
// close-on-exec and, once connected, blocking. -1 with errno from socket or
// connect otherwise: ENOENT (no socket there), ECONNREFUSED (no one listens
// on it), EAGAIN (its listener's backlog is full), EACCES.
int ConnectUnixSocket(const sockaddr_un& address, int type);
// Both of the above: -1 with ENAMETOOLONG for a path no address holds.
int ConnectUnixSocket(const std::string& path, int type);

}  // namespace memledger
