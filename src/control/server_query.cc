// server_query.cc — see server_query.h.
#include "control/server_query.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/handshake.h"
#include "control/proc_stat.h"
#include "control/trusted_server.h"
#include "control/wire_protocol.h"

namespace memledger {
namespace {

constexpr std::chrono::milliseconds kReplyTimeout = std::chrono::seconds(10);

// Why the server on `socket` gave no whole answer: stopped (SIGSTOP, a
// debugger), silent for `timeout`, or cut off mid-answer (`started`).
std::string Unanswered(int socket, const std::string& path, std::chrono::milliseconds timeout, bool started) {
  ucred server{};
  socklen_t size = sizeof(server);
  const std::string who = "the server at " + path;
  if (getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &server, &size) == 0 && server.pid > 0 &&
      ProcessIsStopped(server.pid)) {
    return who + " (pid " + std::to_string(server.pid) + ") is stopped (SIGSTOP or a debugger) and did not answer within " +
           std::to_string(timeout.count()) + " ms";
  }
  if (started) return who + " did not answer the query completely";
  return who + " did not answer the query within " + std::to_string(timeout.count()) + " ms (or hung up)";
}

// Sends `query` (`size` bytes) and reads the answer's text.
std::optional<std::string> Ask(int socket, const void* query, std::size_t size, const std::string& path,
                               std::chrono::milliseconds timeout, std::string* error) {
  std::string text;
  bool complete = false;
  bool started = false;
  std::uint64_t length = 0;
  if (SendPacket(socket, query, size)) {
    std::string chunk(std::max(kReplyChunkBytes, sizeof(WelcomeMessage)), '\0');
    const long first = ReceivePacket(socket, chunk.data(), chunk.size(), timeout);
    started = first > 0;
    // A refusal comes as a Welcome message, not a length.
    if (const auto refusal = AsWelcome(std::span(chunk.data(), static_cast<std::size_t>(std::max(first, 0L))))) {
      *error = "the server at " + path + " refused the query: " + WelcomeReason(*refusal);
      return std::nullopt;
    }
    if (first == static_cast<long>(sizeof(length))) {
      std::memcpy(&length, chunk.data(), sizeof(length));
      while (text.size() < length) {
        const long n = ReceivePacket(socket, chunk.data(), chunk.size(), timeout);
        if (n <= 0) break;
        text.append(chunk.data(), static_cast<std::size_t>(n));
      }
      complete = text.size() == length;
    }
  }
  if (!complete) *error = Unanswered(socket, path, timeout, started);
  if (!complete) return std::nullopt;
  return text;
}

// Connects to the trusted server at `path` and asks it `query` (`size` bytes).
std::optional<std::string> ConnectAndAsk(const std::string& path, const void* query, std::size_t size,
                                         std::chrono::milliseconds timeout, std::string* error) {
  std::string distrust;
  const int fd = ConnectTrustedServer(path, &distrust);
  if (fd < 0) {
    *error = !distrust.empty() ? distrust
                               : "no memledger server answers at " + path + " (" + std::strerror(errno) +
                                     "); start one with `memledger serve`";
    return std::nullopt;
  }
  auto text = Ask(fd, query, size, path, timeout, error);
  close(fd);
  return text;
}

}  // namespace

std::optional<std::string> Query(const std::string& path, QueryKind kind, std::chrono::milliseconds timeout,
                                 std::string* error) {
  const QueryMessage query = MakeQuery(kind);
  return ConnectAndAsk(path, &query, sizeof(query), timeout, error);
}

std::optional<std::string> QueryCheckpoint(const std::string& path, const CheckpointQueryMessage& query,
                                           std::chrono::milliseconds timeout, std::string* error) {
  return ConnectAndAsk(path, &query, sizeof(query), timeout, error);
}

std::optional<std::string> QuerySummary(const std::string& path, std::string* error) {
  return Query(path, QueryKind::kSummary, kReplyTimeout, error);
}

std::optional<std::string> AskSummary(int socket, const std::string& path, std::string* error) {
  const QueryMessage query = MakeQuery(QueryKind::kSummary);
  return Ask(socket, &query, sizeof(query), path, kReplyTimeout, error);
}

}  // namespace memledger
