// packet_pair.h — what the control tests talk over: a connected pair of
// real SOCK_SEQPACKET Unix sockets (the control socket's type), one end for
// the client, one for the server, closed after each test unless a test
// closed one itself (a peer that hangs up); and the count of this process's
// open descriptors, to see that passed fds are neither lost nor leaked.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <filesystem>
#include <iterator>

namespace memledger {

inline std::size_t OpenDescriptors() {
  const std::filesystem::directory_iterator fds("/proc/self/fd");
  return static_cast<std::size_t>(std::distance(fds, std::filesystem::directory_iterator()));
}

class PacketPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
    client_ = pair[0];
    server_ = pair[1];
  }
  void TearDown() override {
    CloseClient();
    CloseServer();
  }
  void CloseClient() {
    if (client_ >= 0) close(client_);
    client_ = -1;
  }
  void CloseServer() {
    if (server_ >= 0) close(server_);
    server_ = -1;
  }

  int client_ = -1;
  int server_ = -1;
};

}  // namespace memledger
