// server_fixture.h — a real Server on a real socket in a private directory,
// turned by the test's own thread (Server::Poll), and what a test needs to
// be its peers: connections, Hellos and their Welcomes, rings, summary
// queries. Nothing can block except the server itself, so a server that
// blocks on a peer hangs the test (and ctest's timeout fails it).
#pragma once

#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/handshake.h"
#include "control/unix_socket.h"
#include "control/wire_protocol.h"
#include "event/handover.h"
#include "event/record.h"
#include "ring/event_ring.h"
#include "ring/ring_ownership.h"
#include "server/server.h"

namespace memledger {

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("memledger-server-test-" + std::to_string(getpid()));
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
      if (serving_) server_->Poll(std::chrono::milliseconds(1));
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, serving_ ? 0 : 30) > 0) return true;
    }
    return false;
  }
  // The Welcome the server answers `fd` with, or a zero one.
  WelcomeMessage WelcomeOn(int fd) {
    WelcomeMessage welcome{};
    if (!PollUntilReadable(fd)) return welcome;
    if (ReceivePacket(fd, &welcome, sizeof(welcome), std::chrono::milliseconds(0)) != static_cast<long>(sizeof(welcome))) return {};
    return welcome;
  }
  static HelloMessage Hello() { return MakeHello("hostile"); }
  // A fresh ring, as a tracked process makes it.
  std::unique_ptr<EventRing> Ring(std::uint64_t slots = kMinRingSlots) {
    std::string error;
    auto ring = EventRing::Create(slots, OnFull::kBlock, &error);
    EXPECT_NE(ring, nullptr) << error;
    return ring;
  }
  // Offers `ring` to the server with a Hello on `fd`, as a process starting.
  static bool OfferOn(int fd, EventRing& ring) {
    HelloMessage hello = Hello();
    hello.ring_epoch = OfferRing(ring.header());
    const int ring_fd = ring.fd();
    return SendPacket(fd, &hello, sizeof(hello), std::span(&ring_fd, 1));
  }
  // Hands `ring` (taken back from the server) back with a resumed Hello on
  // `fd`, `carried` its books meanwhile, as a process that took its ring.
  static bool HandBackOn(int fd, EventRing& ring, const Handover& handover, const std::vector<Event>& carried) {
    HelloMessage resumed = Hello();
    SetResumed(&resumed, handover);
    std::string error;
    const int carried_fd = WriteCarriedOver(carried, &error);
    EXPECT_GE(carried_fd, 0) << error;
    if (carried_fd < 0) return false;
    resumed.ring_epoch = OfferRing(ring.header());
    const std::array<int, 2> fds{ring.fd(), carried_fd};
    const bool sent = SendPacket(fd, &resumed, sizeof(resumed), fds);
    close(carried_fd);
    return sent;
  }
  // An ALLOC of a DRAM buffer of 4 KiB, id `id`.
  static Event DramAlloc(std::uint64_t id) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
    e.type = MEMLEDGER_DRAM;
    e.buffer_id = id;
    e.address = id * 0x1000;
    e.size = 0x1000;
    return e;
  }
  // Asks for the summary on a new connection and reads the whole answer.
  std::optional<nlohmann::json> Query() {
    const int fd = Connect();
    const QueryMessage query = MakeQuery(QueryKind::kSummary);
    if (!SendPacket(fd, &query, sizeof(query)) || !PollUntilReadable(fd)) return std::nullopt;
    std::uint64_t length = 0;
    if (ReceivePacket(fd, &length, sizeof(length), std::chrono::milliseconds(0)) != static_cast<long>(sizeof(length))) return std::nullopt;
    std::string json(length, '\0');
    for (std::size_t at = 0; at < length;) {
      if (!PollUntilReadable(fd)) return std::nullopt;
      const long n = ReceivePacket(fd, json.data() + at, std::min(kReplyChunkBytes, length - at), std::chrono::milliseconds(0));
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

}  // namespace memledger
