// server_query.h — the query client: asking a running `memledger serve` for
// its books — the summary JSON, for the status and top commands and the
// Python module; one line on the asking process's own books, for a tracked
// process's exit; a checkpoint of the asking process's own, for a leak gate. One Query, then the answer as wire_protocol.h frames it: a
// packet with the text's length, then the text in packets; or a Welcome
// that refuses the query (handshake.h).
//
// Thread-safe: no state.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "control/wire_protocol.h"

namespace memledger {

// The server's summary JSON, or nullopt with *error saying what went wrong
// and what to do (e.g. no server answers: start one; the server is not one
// this user trusts: trusted_server.h).
std::optional<std::string> QuerySummary(const std::string& socket_path, std::string* error);

// The server's answer to a query of `kind` (its text), waiting at most
// `timeout` for each packet; nullopt and *error as QuerySummary's.
std::optional<std::string> Query(const std::string& socket_path, QueryKind kind, std::chrono::milliseconds timeout,
                                 std::string* error);

// The answer to a checkpoint query (control/checkpoint_reply.h decodes it),
// waiting at most `timeout` for each packet; nullopt and *error as QuerySummary's.
std::optional<std::string> QueryCheckpoint(const std::string& socket_path, const CheckpointQueryMessage& query,
                                           std::chrono::milliseconds timeout, std::string* error);

// The summary over `socket`, already connected to the server at
// `socket_path` (named in *error); waits at most 10 s for each packet. Does
// not close it.
std::optional<std::string> AskSummary(int socket, const std::string& socket_path, std::string* error);

}  // namespace memledger
