// server_query.cc — see server_query.h.
#include "control/server_query.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/trusted_server.h"
#include "control/wire_protocol.h"

namespace memledger {
namespace {
constexpr auto kReplyTimeout = std::chrono::seconds(10);
}  // namespace

std::optional<std::string> QuerySummary(const std::string& path, std::string* error) {
  std::string distrust;
  const int fd = ConnectTrustedServer(path, &distrust);
  if (fd < 0) {
    *error = !distrust.empty() ? distrust
                               : "no memledger server answers at " + path + " (" + std::strerror(errno) +
                                     "); start one with `memledger serve`";
    return std::nullopt;
  }
  const QueryMessage query{kQueryMagic, kProtocolVersion, static_cast<std::uint32_t>(QueryKind::kSummary)};
  std::string json;
  bool complete = false;
  std::uint64_t length = 0;
  if (SendPacket(fd, &query, sizeof(query))) {
    std::string chunk(std::max(kReplyChunkBytes, sizeof(WelcomeMessage)), '\0');
    const long first = ReceivePacket(fd, chunk.data(), chunk.size(), kReplyTimeout);
    if (first == static_cast<long>(sizeof(WelcomeMessage))) {
      // A refusal comes as a Welcome message, not a length.
      WelcomeMessage refusal;
      std::memcpy(&refusal, chunk.data(), sizeof(refusal));
      refusal.reason[sizeof(refusal.reason) - 1] = '\0';
      *error = "the server at " + path + " refused the query: " + refusal.reason;
      close(fd);
      return std::nullopt;
    }
    if (first == static_cast<long>(sizeof(length))) {
      std::memcpy(&length, chunk.data(), sizeof(length));
      while (json.size() < length) {
        const long n = ReceivePacket(fd, chunk.data(), chunk.size(), kReplyTimeout);
        if (n <= 0) break;
        json.append(chunk.data(), static_cast<std::size_t>(n));
      }
      complete = json.size() == length;
    }
  }
  close(fd);
  if (!complete) {
    *error = "the server at " + path + " did not answer the query completely";
    return std::nullopt;
  }
  return json;
}

}  // namespace memledger
