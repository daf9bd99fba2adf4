// handshake.cc — see handshake.h.
#include "control/handshake.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "ring/ring_layout.h"

namespace memledger {

HelloMessage MakeHello(std::string_view comm) {
  HelloMessage hello{};
  hello.magic = kHelloMagic;
  hello.protocol_version = kProtocolVersion;
  hello.event_bytes = sizeof(Event);
  hello.ring_layout_version = kRingLayoutVersion;
  std::memcpy(hello.comm, comm.data(), std::min(comm.size(), sizeof(hello.comm) - 1));
  return hello;
}

void SetResumed(HelloMessage* hello, const Handover& handover) {
  hello->flags |= kHelloResumed;
  hello->handovers = handover.handovers;
  hello->records_elsewhere = handover.records_elsewhere;
  hello->missed_frees = handover.missed_frees;
}

Handover ResumedHandover(const HelloMessage& hello) {
  return {.joined_late = true,
          .handovers = hello.handovers,
          .records_elsewhere = hello.records_elsewhere,
          .missed_frees = hello.missed_frees};
}

QueryMessage MakeQuery(QueryKind kind) { return {kQueryMagic, kProtocolVersion, static_cast<std::uint32_t>(kind)}; }

WelcomeMessage MakeWelcome(WelcomeStatus status, std::string_view reason) {
  WelcomeMessage welcome{};
  welcome.magic = kWelcomeMagic;
  welcome.protocol_version = kProtocolVersion;
  welcome.status = static_cast<std::uint32_t>(status);
  std::memcpy(welcome.reason, reason.data(), std::min(reason.size(), sizeof(welcome.reason) - 1));
  return welcome;
}

std::optional<HandshakeRefusal> CheckHello(const HelloMessage& hello, std::size_t size, bool ring_passed,
                                           bool carried_passed) {
  if (size < sizeof(hello.magic) || hello.magic != kHelloMagic) {
    return HandshakeRefusal{WelcomeStatus::kBadMessage, "not a memledger Hello message"};
  }
  if (size != sizeof(HelloMessage) || hello.protocol_version != kProtocolVersion ||
      hello.event_bytes != sizeof(Event) || hello.ring_layout_version != kRingLayoutVersion) {
    return HandshakeRefusal{
        WelcomeStatus::kVersionMismatch,
        fmt::format("server speaks protocol {} ({}-byte Hello, {}-byte events, ring layout {}); client sent {} "
                    "({}, {}, {})",
                    kProtocolVersion, sizeof(HelloMessage), sizeof(Event), kRingLayoutVersion, hello.protocol_version,
                    size, hello.event_bytes, hello.ring_layout_version)};
  }
  if (!ring_passed) return HandshakeRefusal{WelcomeStatus::kBadRing, "the Hello carried no ring memfd"};
  if (hello.flags & ~static_cast<std::uint32_t>(kHelloResumed)) {
    return HandshakeRefusal{WelcomeStatus::kBadMessage, fmt::format("unknown Hello flags {:#x}", hello.flags)};
  }
  if ((hello.flags & kHelloResumed) != 0 && !carried_passed) {
    return HandshakeRefusal{WelcomeStatus::kBadMessage, "a resumed Hello must carry its carried-over state"};
  }
  return std::nullopt;
}

std::optional<HandshakeRefusal> CheckQuery(const QueryMessage& query, std::size_t size) {
  if (size < sizeof(query.magic) || query.magic != kQueryMagic) {
    return HandshakeRefusal{WelcomeStatus::kBadMessage, "not a memledger Query message"};
  }
  const bool checkpoint = query.kind == static_cast<std::uint32_t>(QueryKind::kCheckpoint);
  const std::size_t expected = checkpoint ? sizeof(CheckpointQueryMessage) : sizeof(QueryMessage);
  if (size != expected || query.protocol_version != kProtocolVersion ||
      (query.kind != static_cast<std::uint32_t>(QueryKind::kSummary) &&
       query.kind != static_cast<std::uint32_t>(QueryKind::kOwnBooksLine) && !checkpoint)) {
    return HandshakeRefusal{WelcomeStatus::kVersionMismatch,
                            fmt::format("server speaks protocol {} ({}-byte Query; {} for kind 3), query kinds 1-3; "
                                        "client sent {} ({}, kind {})",
                                        kProtocolVersion, sizeof(QueryMessage), sizeof(CheckpointQueryMessage),
                                        query.protocol_version, size, query.kind)};
  }
  return std::nullopt;
}

std::optional<HandshakeRefusal> CheckCheckpointQuery(const CheckpointQueryMessage& message) {
  if (message.exclude_count > kMaxCheckpointExcludes || (message.flags & ~kCheckpointCountsOnly) != 0 ||
      message.reserved != 0) {
    return HandshakeRefusal{WelcomeStatus::kBadMessage,
                            fmt::format("a checkpoint query with {} excluded ranges (at most {}) and flags {:#x}",
                                        message.exclude_count, kMaxCheckpointExcludes, message.flags)};
  }
  return std::nullopt;
}

bool SendWelcome(int socket, WelcomeStatus status, std::string_view reason) {
  const WelcomeMessage welcome = MakeWelcome(status, reason);
  return SendPacket(socket, &welcome, sizeof(welcome));
}

std::optional<WelcomeMessage> AsWelcome(std::span<const char> packet) {
  WelcomeMessage welcome;
  if (packet.size() != sizeof(welcome)) return std::nullopt;
  std::memcpy(&welcome, packet.data(), sizeof(welcome));
  if (welcome.magic != kWelcomeMagic) return std::nullopt;
  return welcome;
}

std::optional<WelcomeMessage> ReceiveWelcome(int socket, std::chrono::milliseconds timeout) {
  char packet[sizeof(WelcomeMessage)];
  const long n = ReceivePacket(socket, packet, sizeof(packet), timeout);
  if (n < 0) return std::nullopt;
  return AsWelcome(std::span(packet, static_cast<std::size_t>(n)));
}

std::string WelcomeReason(const WelcomeMessage& welcome) {
  return std::string(welcome.reason, strnlen(welcome.reason, sizeof(welcome.reason)));
}

}  // namespace memledger
