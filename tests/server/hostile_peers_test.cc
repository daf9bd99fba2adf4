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

namespace memledger {
namespace {

using namespace std::chrono_literals;

class HostilePeersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("memledger-hostile-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
    std::string error;
    ServerOptions options;
    options.socket_path = (dir_ / "s.sock").string();
    server_ = Server::Start(options, &error);
    ASSERT_NE(server_, nullptr) << error;
  }
  void TearDown() override {
    for (const int fd : open_) close(fd);
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // fork() of this process, which must have one thread: a child forked while
  // another thread holds a lock (the allocator's, say) would hang on it. The
  // server starts its symbolizer's thread only for a stack (none here).
  static pid_t ForkAlone() {
    std::size_t threads = 0;
    for ([[maybe_unused]] const auto& task : std::filesystem::directory_iterator("/proc/self/task")) ++threads;
    if (threads != 1) {
      ADD_FAILURE() << "forking with " << threads << " threads: the child could hang on a lock";
      return -1;
    }
    return fork();
  }

  // A connected socket the test closes at the end.
  int Connect() {
    const int fd = ConnectUnixSocket(server_->socket_path(), SOCK_SEQPACKET);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    open_.push_back(fd);
    return fd;
  }
  // Turns the server's loop until `fd` has something to read (or 2,000
  // turns); a forked child (serving_ false) only waits, up to 60 s.
  bool PollUntilReadable(int fd) {
    for (int turn = 0; turn < 2000; ++turn) {
      if (serving_) server_->Poll(1ms);
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, serving_ ? 0 : 30) > 0) return true;
    }
    return false;
  }
  // The Welcome the server answers `fd` with, or a zero one.
  WelcomeMessage WelcomeOn(int fd) {
    WelcomeMessage welcome{};
    if (!PollUntilReadable(fd)) return welcome;
    if (ReceivePacket(fd, &welcome, sizeof(welcome), 0ms) != static_cast<long>(sizeof(welcome))) return {};
    return welcome;
  }
  static HelloMessage Hello() { return MakeHello("hostile"); }
  // A fresh ring, as a tracked process makes it.
  std::unique_ptr<EventRing> Ring() {
    std::string error;
    auto ring = EventRing::Create(kMinRingSlots, OnFull::kBlock, &error);
    EXPECT_NE(ring, nullptr) << error;
    return ring;
  }
  // Asks for the summary on a new connection and reads the whole answer.
  std::optional<nlohmann::json> Query() {
    const int fd = Connect();
    const QueryMessage query = MakeQuery(QueryKind::kSummary);
    if (!SendPacket(fd, &query, sizeof(query)) || !PollUntilReadable(fd)) return std::nullopt;
    std::uint64_t length = 0;
    if (ReceivePacket(fd, &length, sizeof(length), 0ms) != static_cast<long>(sizeof(length))) return std::nullopt;
    std::string json(length, '\0');
    for (std::size_t at = 0; at < length;) {
      if (!PollUntilReadable(fd)) return std::nullopt;
      const long n = ReceivePacket(fd, json.data() + at, std::min(kReplyChunkBytes, length - at), 0ms);
      if (n <= 0) return std::nullopt;
      at += static_cast<std::size_t>(n);
    }
    return nlohmann::json::parse(json);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
  std::vector<int> open_;
  bool serving_ = true;  // false in a forked child: the parent turns the server
};

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
