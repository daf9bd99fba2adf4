// hostile_peers_test.cc — one careless or hostile peer costs only itself
// (issue 11): a query peer that never reads its answer, Hellos of any size,
// one process opening connection after connection, and a resumed Hello whose
// carried-over state is huge or unsealed. A real Server on a real socket,
// turned by this thread (Server::Poll), with real rings and memfds: nothing
// here can block except the server itself, so a server that blocks on a peer
// hangs the test (and ctest's timeout fails it).
#include <fcntl.h>
#include <sys/mman.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "control/handshake.h"
#include "control/unix_socket.h"
#include "control/wire_protocol.h"
#include "event/record.h"
#include "ring/event_ring.h"
#include "server/server.h"
#include "server_fixture.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;

class HostilePeersTest : public ServerFixture {};

// A peer that asks and never reads its answer: the server goes on serving
// everyone else (before, it blocked writing the answer, and with it every
// tracked program whose ring filled meanwhile).
TEST_F(HostilePeersTest, AQueryPeerThatNeverReadsStallsNobody) {
  // An answer bigger than any socket buffer: a process (a child) that leaked
  // 3,000 buffers under 3,000 long tag names (3,000 leak sites), then exited.
  const pid_t child = ForkAlone();
  ASSERT_GE(child, 0);
  if (child == 0) {
    serving_ = false;
    std::string error;
    auto ring = EventRing::Create(1 << 16, OnFull::kBlock, &error);
    const int client = Connect();
    const HelloMessage hello = Hello();
    const int ring_fd = ring->fd();
    if (!SendPacket(client, &hello, sizeof(hello), std::span(&ring_fd, 1)) ||
        WelcomeOn(client).status != static_cast<std::uint32_t>(WelcomeStatus::kAccepted)) {
      _exit(1);
    }
    std::vector<Event> slots;
    for (std::uint32_t tag = 1; tag <= 3000; ++tag) {
      Event e{};
      e.kind = static_cast<std::uint8_t>(EventKind::kTag);
      e.tag = tag;
      AppendRecord(slots, e, "a tag with a long name, " + std::string(150, 'x') + std::to_string(tag));
      e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
      e.type = MEMLEDGER_DRAM;
      e.buffer_id = tag;
      e.address = tag * 0x1000ULL;
      e.size = 0x1000;
      AppendRecord(slots, e);
    }
    const std::uint64_t seq = ring->Claim(static_cast<std::uint32_t>(slots.size()));
    for (std::size_t i = 0; i < slots.size(); ++i) ring->Publish(seq + i, slots[i]);
    _exit(0);
  }
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) server_->Poll(1ms);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int turn = 0; turn < 100; ++turn) server_->Poll(1ms);
  const auto before = Query();
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ((*before)["leaks"]["sites"].size(), 3000u) << before->dump().substr(0, 3000);
  // Unix sockets hold about 208 KiB in flight by default.
  ASSERT_GT(before->dump().size(), 512u << 10) << "the answer must not fit in a socket buffer";

  const int stuck = Connect();
  const QueryMessage query = MakeQuery(QueryKind::kSummary);
  ASSERT_TRUE(SendPacket(stuck, &query, sizeof(query)));
  // The stuck peer's answer is in flight; others are answered meanwhile, over and over.
  for (int i = 0; i < 5; ++i) {
    const auto summary = Query();
    ASSERT_TRUE(summary.has_value()) << "query " << i << " was not answered";
    EXPECT_EQ((*summary)["leaks"]["sites"].size(), 3000u);
  }
}

// Hellos of any size get a Welcome that says what the server speaks, never a hang-up.
TEST_F(HostilePeersTest, AHelloOfAnySizeIsToldTheVersionMismatch) {
  for (const std::size_t size : {std::size_t{16}, sizeof(HelloMessage) - 8, sizeof(HelloMessage) + 8,
                                 std::size_t{4096}, std::size_t{60000}}) {
    std::vector<char> packet(size);
    const HelloMessage hello = Hello();
    std::memcpy(packet.data(), &hello, std::min(size, sizeof(hello)));
    const int fd = Connect();
    auto ring = Ring();
    const int ring_fd = ring->fd();
    ASSERT_TRUE(SendPacket(fd, packet.data(), packet.size(), std::span(&ring_fd, 1))) << size;
    const WelcomeMessage welcome = WelcomeOn(fd);
    EXPECT_EQ(welcome.magic, kWelcomeMagic) << "a " << size << "-byte Hello got no answer";
    EXPECT_EQ(welcome.status, static_cast<std::uint32_t>(WelcomeStatus::kVersionMismatch)) << size;
    EXPECT_NE(std::string(welcome.reason).find(std::to_string(size)), std::string::npos) << welcome.reason;
  }
}

// One process opening connection after connection gets a few, then is told
// the server is full for it; another process is still served.
TEST_F(HostilePeersTest, OneProcessCannotTakeEveryConnection) {
  std::vector<std::unique_ptr<EventRing>> rings;
  std::size_t accepted = 0, refused = 0;
  for (int i = 0; i < 400; ++i) {
    const int fd = Connect();
    rings.push_back(Ring());
    const HelloMessage hello = Hello();
    const int ring_fd = rings.back()->fd();
    const WelcomeMessage welcome =
        SendPacket(fd, &hello, sizeof(hello), std::span(&ring_fd, 1)) ? WelcomeOn(fd) : WelcomeMessage{};
    if (welcome.magic == kWelcomeMagic && welcome.status == static_cast<std::uint32_t>(WelcomeStatus::kAccepted)) {
      ++accepted;  // its control socket stays open: the session lives
    } else {
      ++refused;
      EXPECT_EQ(welcome.status, static_cast<std::uint32_t>(WelcomeStatus::kServerFull)) << welcome.reason;
    }
  }
  EXPECT_LE(accepted, 8u) << "one process holds " << accepted << " sessions";
  EXPECT_EQ(accepted + refused, 400u);
  // Another process asks for the summary while this one turns the server.
  const pid_t child = ForkAlone();
  ASSERT_GE(child, 0);
  if (child == 0) {
    serving_ = false;
    const auto summary = Query();  // the child only reads: the parent polls
    _exit(summary && (*summary)["server"]["clients"] == accepted ? 0 : 1);
  }
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) server_->Poll(1ms);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "another process was not served";
}

// A resumed Hello whose carried-over state is a 1 GiB sparse memfd is refused
// at once (not read whole on the server's thread); an unsealed one too.
TEST_F(HostilePeersTest, CarriedOverStateIsBoundedAndSealed) {
  for (const bool sealed : {true, false}) {
    const int carried = memfd_create("carried", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    ASSERT_GE(carried, 0);
    ASSERT_EQ(ftruncate(carried, sealed ? 1LL << 30 : 64 * 16), 0);
    if (sealed) fcntl(carried, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE);
    const int fd = Connect();
    auto ring = Ring();
    HelloMessage hello = Hello();
    hello.flags = kHelloResumed;
    const std::array<int, 2> fds{ring->fd(), carried};
    ASSERT_TRUE(SendPacket(fd, &hello, sizeof(hello), fds));
    close(carried);
    const WelcomeMessage welcome = WelcomeOn(fd);
    EXPECT_EQ(welcome.status, static_cast<std::uint32_t>(WelcomeStatus::kBadMessage)) << welcome.reason;
    EXPECT_NE(std::string(welcome.reason).find(sealed ? "MiB" : "sealed"), std::string::npos) << welcome.reason;
  }
}

}  // namespace
}  // namespace memledger
