// server_query.h — the query client: asking a running `memledger serve` for
// its books (the summary JSON), for the status and top commands and the
// Python module. One Query, then the answer as wire_protocol.h frames it: a
// packet with the JSON's length, then the JSON in packets; or a Welcome
// that refuses the query (handshake.h).
//
// Thread-safe: no state.
#pragma once

#include <optional>
#include <string>

namespace memledger {

// The server's summary JSON, or nullopt with *error saying what went wrong
// and what to do (e.g. no server answers: start one; the server is not one
// this user trusts: trusted_server.h).
std::optional<std::string> QuerySummary(const std::string& socket_path, std::string* error);

// The same over `socket`, already connected to the server at `socket_path`
// (named in *error); waits at most 10 s for each packet. Does not close it.
std::optional<std::string> AskSummary(int socket, const std::string& socket_path, std::string* error);

}  // namespace memledger
