// server_query.h — asking a running `memledger serve` for its books (the
// summary JSON), for the status and top commands.
#pragma once

#include <optional>
#include <string>

namespace memledger {

// The server's summary JSON, or nullopt with *error saying what went wrong
// and what to do (e.g. no server answers: start one; the server is not one
// this user trusts: trusted_server.h).
std::optional<std::string> QuerySummary(const std::string& socket_path, std::string* error);

}  // namespace memledger
