// trusted_server.h — which server a client (a tracked process, a query tool)
// talks to. A server gets a tracked process's ring (read and write) and
// answers its user's queries, so a client connects only to one it trusts:
// the server's uid, learned from SO_PEERCRED on the connected socket (never
// from a message), must be this user's, root's, or the one
// MEMLEDGER_SERVER_UID names (a uid or a user name: a server run by a service
// user for a --group). The socket's directory must be fit for the same owners
// (SharedDirectoryProblem, socket_path.h), so no one else could have put the
// socket there.
//
// Thread-safe (reads the environment; getpwnam_r/getpwuid_r).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace memledger {

inline constexpr char kServerUidVariable[] = "MEMLEDGER_SERVER_UID";

// A MEMLEDGER_SERVER_UID value: a decimal uid or a user name; nullopt when
// it is neither.
std::optional<uid_t> ParseServerUid(std::string_view value);

// Connects a SOCK_SEQPACKET socket to the server at `path` when it is one
// this user trusts. Returns the fd; or -1 with *refusal empty when no server
// answers there (errno from connect); or -1 with *refusal saying what was
// wrong (the directory, or the server's uid) and how to trust it.
int ConnectTrustedServer(const std::string& path, std::string* refusal);

}  // namespace memledger
