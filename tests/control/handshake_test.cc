// handshake_test.cc — the handshake's messages (handshake.h) round trip over
// real SOCK_SEQPACKET sockets, with and without their fds, and are read
// only as what they are: a Hello or Query of another size, magic or version,
// with unknown flags or without its memfds, is refused with the status and
// a reason naming both sides; a Welcome is taken whatever its version, never
// past its size or reason; a server that hangs up is no Welcome.
#include "control/handshake.h"

#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "packet_pair.h"
#include "ring/ring_layout.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 10s;  // a packet already sent is there at once

class Handshake : public PacketPairTest {
 protected:
  void TearDown() override {
    for (const int fd : fds_) {
      if (fd >= 0) close(fd);
    }
    PacketPairTest::TearDown();
  }
  // Reads the next first message as the server does (server.cc): into room
  // for any message, zero past what came, with up to two fds.
  void ReceiveFirst() {
    message_ = {};
    size_ = ReceivePacket(server_, &message_, sizeof(message_), kWait, fds_);
  }
  // The server's check of the Hello just received.
  std::optional<HandshakeRefusal> CheckReceivedHello() const {
    return CheckHello(message_.hello, static_cast<std::size_t>(size_), fds_[0] >= 0, fds_[1] >= 0);
  }

  union {
    HelloMessage hello;
    QueryMessage query;
    char bytes[256];
  } message_{};
  std::array<int, 2> fds_{-1, -1};  // closed after the test
  long size_ = -1;
};

std::string ReasonOf(const std::optional<HandshakeRefusal>& refusal) { return refusal ? refusal->reason : ""; }

TEST_F(Handshake, AHelloWithItsRingRoundTripsAndIsAccepted) {
  HelloMessage hello = MakeHello("tracked-process");
  hello.ring_epoch = 7;
  const int ring = memfd_create("ring", MFD_CLOEXEC);
  ASSERT_TRUE(SendPacket(client_, &hello, sizeof(hello), std::span(&ring, 1)));
  close(ring);
  ReceiveFirst();
  ASSERT_EQ(size_, static_cast<long>(sizeof(HelloMessage)));
  EXPECT_EQ(std::memcmp(&message_.hello, &hello, sizeof(hello)), 0);
  EXPECT_EQ(std::string(message_.hello.comm), "tracked-process");
  EXPECT_EQ(message_.hello.ring_epoch, 7u);
  EXPECT_GE(fds_[0], 0);
  EXPECT_EQ(fds_[1], -1);
  EXPECT_EQ(CheckReceivedHello(), std::nullopt);
}

TEST_F(Handshake, AResumedHelloWithBothMemfdsRoundTripsAndIsAccepted) {
  HelloMessage hello = MakeHello("resumed");
  hello.flags = kHelloResumed;
  hello.handovers = 2;
  hello.records_elsewhere = 1000;
  hello.missed_frees = 3;
  std::string error;
  const int ring = memfd_create("ring", MFD_CLOEXEC);
  const std::vector<Event> carried_slots(4);
  const int carried = WriteCarriedOver(carried_slots, &error);
  ASSERT_GE(carried, 0) << error;
  const std::array<int, 2> sent{ring, carried};
  ASSERT_TRUE(SendPacket(client_, &hello, sizeof(hello), sent));
  close(ring);
  close(carried);
  ReceiveFirst();
  ASSERT_EQ(size_, static_cast<long>(sizeof(HelloMessage)));
  EXPECT_EQ(message_.hello.handovers, 2u);
  EXPECT_EQ(message_.hello.records_elsewhere, 1000u);
  EXPECT_EQ(message_.hello.missed_frees, 3u);
  EXPECT_EQ(CheckReceivedHello(), std::nullopt);
  const auto back = ReadCarriedOver(fds_[1], &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(back->size(), carried_slots.size());
}

TEST_F(Handshake, AHelloWithoutItsMemfdsIsRefused) {
  HelloMessage hello = MakeHello("no-ring");
  ASSERT_TRUE(SendPacket(client_, &hello, sizeof(hello)));
  ReceiveFirst();
  ASSERT_EQ(size_, static_cast<long>(sizeof(HelloMessage)));
  const auto no_ring = CheckReceivedHello();
  ASSERT_TRUE(no_ring.has_value());
  EXPECT_EQ(no_ring->status, WelcomeStatus::kBadRing);
  EXPECT_EQ(no_ring->reason, "the Hello carried no ring memfd");

  hello.flags = kHelloResumed;
  const auto no_state = CheckHello(hello, sizeof(hello), /*ring_passed=*/true, /*carried_passed=*/false);
  ASSERT_TRUE(no_state.has_value());
  EXPECT_EQ(no_state->status, WelcomeStatus::kBadMessage);
  EXPECT_NE(no_state->reason.find("carried-over state"), std::string::npos) << no_state->reason;
}

TEST_F(Handshake, AHelloOfAnotherSizeIsAVersionMismatchNamingBothSizes) {
  // A newer client's longer Hello, an older client's shorter one: what came
  // is read, the rest reads as zero, and the refusal names both sides.
  for (const std::size_t size : {sizeof(HelloMessage) + 8, std::size_t{56}, std::size_t{16}}) {
    std::vector<char> packet(size);
    const HelloMessage hello = MakeHello("other-size");
    std::memcpy(packet.data(), &hello, std::min(size, sizeof(hello)));
    const int ring = memfd_create("ring", MFD_CLOEXEC);
    ASSERT_TRUE(SendPacket(client_, packet.data(), packet.size(), std::span(&ring, 1)));
    close(ring);
    ReceiveFirst();
    ASSERT_EQ(size_, static_cast<long>(size));
    const auto refusal = CheckReceivedHello();
    ASSERT_TRUE(refusal.has_value()) << size;
    EXPECT_EQ(refusal->status, WelcomeStatus::kVersionMismatch) << refusal->reason;
    EXPECT_NE(refusal->reason.find("88-byte Hello"), std::string::npos) << refusal->reason;
    EXPECT_NE(refusal->reason.find("(" + std::to_string(size) + ","), std::string::npos) << refusal->reason;
    close(fds_[0]);
    fds_[0] = -1;
  }
}

TEST(HandshakeChecks, AHelloOfAnotherVersionIsAVersionMismatchNamingBoth) {
  HelloMessage protocol = MakeHello("p");
  protocol.protocol_version = 99;
  HelloMessage events = MakeHello("e");
  events.event_bytes = 32;
  HelloMessage ring = MakeHello("r");
  ring.ring_layout_version = kRingLayoutVersion + 1;
  for (const HelloMessage& hello : {protocol, events, ring}) {
    const auto refusal = CheckHello(hello, sizeof(hello), true, false);
    ASSERT_TRUE(refusal.has_value());
    EXPECT_EQ(refusal->status, WelcomeStatus::kVersionMismatch);
    EXPECT_NE(refusal->reason.find("server speaks protocol " + std::to_string(kProtocolVersion)), std::string::npos)
        << refusal->reason;
  }
  EXPECT_NE(ReasonOf(CheckHello(protocol, sizeof(protocol), true, false)).find("client sent 99"), std::string::npos);
  EXPECT_NE(ReasonOf(CheckHello(events, sizeof(events), true, false)).find(", 32,"), std::string::npos);
}

TEST(HandshakeChecks, ABadMagicOrUnknownFlagsAreABadMessage) {
  HelloMessage hello = MakeHello("magic");
  hello.magic = kQueryMagic;
  const auto not_hello = CheckHello(hello, sizeof(hello), true, false);
  ASSERT_TRUE(not_hello.has_value());
  EXPECT_EQ(not_hello->status, WelcomeStatus::kBadMessage);

  HelloMessage flags = MakeHello("flags");
  flags.flags = 0x6;
  const auto unknown = CheckHello(flags, sizeof(flags), true, false);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, WelcomeStatus::kBadMessage);
  EXPECT_EQ(unknown->reason, "unknown Hello flags 0x6");

  QueryMessage query = MakeQuery(QueryKind::kSummary);
  query.magic = kHelloMagic;
  const auto not_query = CheckQuery(query, sizeof(query));
  ASSERT_TRUE(not_query.has_value());
  EXPECT_EQ(not_query->status, WelcomeStatus::kBadMessage);
}

TEST_F(Handshake, AQueryRoundTripsAndIsAccepted) {
  const QueryMessage query = MakeQuery(QueryKind::kSummary);
  ASSERT_TRUE(SendPacket(client_, &query, sizeof(query)));
  ReceiveFirst();
  ASSERT_EQ(size_, static_cast<long>(sizeof(QueryMessage)));
  EXPECT_EQ(std::memcmp(&message_.query, &query, sizeof(query)), 0);
  EXPECT_EQ(CheckQuery(message_.query, static_cast<std::size_t>(size_)), std::nullopt);
  EXPECT_FALSE(AsWelcome(std::span(message_.bytes, static_cast<std::size_t>(size_))).has_value());
}

TEST(HandshakeChecks, EveryQueryKindIsTakenAtItsSize) {
  for (const QueryKind kind : {QueryKind::kSummary, QueryKind::kOwnBooksLine}) {
    EXPECT_FALSE(CheckQuery(MakeQuery(kind), sizeof(QueryMessage)).has_value()) << static_cast<int>(kind);
  }
  CheckpointQueryMessage checkpoint{};
  checkpoint.query = MakeQuery(QueryKind::kCheckpoint);
  checkpoint.exclude_count = kMaxCheckpointExcludes;
  checkpoint.flags = kCheckpointCountsOnly;
  EXPECT_FALSE(CheckQuery(checkpoint.query, sizeof(CheckpointQueryMessage)).has_value());
  EXPECT_FALSE(CheckCheckpointQuery(checkpoint).has_value());
  const auto short_one = CheckQuery(checkpoint.query, sizeof(QueryMessage));
  ASSERT_TRUE(short_one.has_value()) << "a checkpoint query without its question";
  EXPECT_EQ(short_one->status, WelcomeStatus::kVersionMismatch);
}

TEST(HandshakeChecks, ACheckpointQueryWithTooManyRangesOrUnknownFlagsIsABadMessage) {
  CheckpointQueryMessage checkpoint{};
  checkpoint.query = MakeQuery(QueryKind::kCheckpoint);
  checkpoint.exclude_count = kMaxCheckpointExcludes + 1;
  auto refusal = CheckCheckpointQuery(checkpoint);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->status, WelcomeStatus::kBadMessage);
  EXPECT_NE(refusal->reason.find("9 excluded ranges (at most 8)"), std::string::npos) << refusal->reason;
  checkpoint.exclude_count = 0;
  checkpoint.flags = 2;
  EXPECT_TRUE(CheckCheckpointQuery(checkpoint).has_value());
  checkpoint.flags = 0;
  checkpoint.reserved = 1;
  EXPECT_TRUE(CheckCheckpointQuery(checkpoint).has_value());
}

TEST(HandshakeChecks, AQueryOfAnotherVersionSizeOrKindIsAVersionMismatch) {
  QueryMessage version = MakeQuery(QueryKind::kSummary);
  version.protocol_version = kProtocolVersion + 1;
  QueryMessage kind = MakeQuery(QueryKind::kSummary);
  kind.kind = 7;
  for (const auto& [query, size] : {std::pair{version, sizeof(QueryMessage)}, std::pair{kind, sizeof(QueryMessage)},
                                    std::pair{MakeQuery(QueryKind::kSummary), sizeof(QueryMessage) + 8}}) {
    const auto refusal = CheckQuery(query, size);
    ASSERT_TRUE(refusal.has_value()) << size;
    EXPECT_EQ(refusal->status, WelcomeStatus::kVersionMismatch);
    EXPECT_NE(refusal->reason.find("query kinds 1-3"), std::string::npos) << refusal->reason;
    EXPECT_LT(refusal->reason.size(), sizeof(WelcomeMessage::reason)) << "whole in a Welcome: " << refusal->reason;
  }
}

TEST_F(Handshake, AWelcomeRoundTripsWithItsReason) {
  ASSERT_TRUE(SendWelcome(server_, WelcomeStatus::kServerFull, "the server tracks the most processes it can"));
  const auto welcome = ReceiveWelcome(client_, kWait);
  ASSERT_TRUE(welcome.has_value());
  EXPECT_EQ(welcome->status, static_cast<std::uint32_t>(WelcomeStatus::kServerFull));
  EXPECT_EQ(welcome->protocol_version, kProtocolVersion);
  EXPECT_EQ(WelcomeReason(*welcome), "the server tracks the most processes it can");
}

TEST_F(Handshake, AWelcomeOfAnotherVersionIsStillRead) {
  // An older or newer server refuses this client with a Welcome of its own
  // version: the client must read the refusal, not take it for no answer.
  WelcomeMessage welcome = MakeWelcome(WelcomeStatus::kVersionMismatch, "server speaks protocol 99");
  welcome.protocol_version = 99;
  ASSERT_TRUE(SendPacket(server_, &welcome, sizeof(welcome)));
  const auto received = ReceiveWelcome(client_, kWait);
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->status, static_cast<std::uint32_t>(WelcomeStatus::kVersionMismatch));
  EXPECT_EQ(WelcomeReason(*received), "server speaks protocol 99");
}

TEST_F(Handshake, APacketOfAnotherSizeOrMagicIsNoWelcome) {
  WelcomeMessage bad_magic = MakeWelcome(WelcomeStatus::kAccepted, "");
  bad_magic.magic = kHelloMagic;
  ASSERT_TRUE(SendPacket(server_, &bad_magic, sizeof(bad_magic)));
  EXPECT_FALSE(ReceiveWelcome(client_, kWait).has_value());
  const WelcomeMessage welcome = MakeWelcome(WelcomeStatus::kAccepted, "");
  ASSERT_TRUE(SendPacket(server_, &welcome, sizeof(welcome) - 8));  // short
  EXPECT_FALSE(ReceiveWelcome(client_, kWait).has_value());
  std::vector<char> longer(sizeof(welcome) + 8);
  std::memcpy(longer.data(), &welcome, sizeof(welcome));
  ASSERT_TRUE(SendPacket(server_, longer.data(), longer.size()));  // too long for the reader's room
  EXPECT_FALSE(ReceiveWelcome(client_, kWait).has_value());
  // The next, a real one, is read whole.
  ASSERT_TRUE(SendWelcome(server_, WelcomeStatus::kAccepted, ""));
  EXPECT_TRUE(ReceiveWelcome(client_, kWait).has_value());
}

TEST_F(Handshake, AServerThatHangsUpIsNoWelcome) {
  CloseServer();
  EXPECT_FALSE(ReceiveWelcome(client_, kWait).has_value());
}

TEST(HandshakeChecks, AWelcomesReasonIsBounded) {
  const WelcomeMessage cut = MakeWelcome(WelcomeStatus::kBadMessage, std::string(300, 'r'));
  EXPECT_EQ(WelcomeReason(cut), std::string(sizeof(cut.reason) - 1, 'r'));
  // A hostile server's reason with no NUL is read to the message's end, no further.
  WelcomeMessage unterminated = cut;
  std::memset(unterminated.reason, 'x', sizeof(unterminated.reason));
  EXPECT_EQ(WelcomeReason(unterminated), std::string(sizeof(unterminated.reason), 'x'));
}

TEST(HandshakeChecks, AHellosCommIsCutToFit) {
  const HelloMessage hello = MakeHello(std::string(100, 'c'));
  EXPECT_EQ(std::string(hello.comm), std::string(sizeof(hello.comm) - 1, 'c'));
}

}  // namespace
}  // namespace memledger
