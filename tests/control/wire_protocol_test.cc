// wire_protocol_test.cc — the control protocol's packets over real
// SOCK_SEQPACKET sockets (wire_protocol.h): a packet and the fds it carries
// arrive whole and as sent, or not at all — a packet larger than the
// reader's room is refused and its fds closed, more fds than the reader
// takes are closed, a peer that hangs up or sends nothing is -1, a send to
// a vanished peer is an error (EPIPE); the carried-over memfd round
// trips and is refused unless sealed whole slots; a query's answer is framed
// as its length, then chunks.
#include "control/wire_protocol.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "packet_pair.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;
using WireProtocol = PacketPairTest;

// A generous wait: a packet already sent is there at once.
constexpr auto kWait = 10s;

// The identity of the file behind `fd`.
std::pair<dev_t, ino_t> FileOf(int fd) {
  struct stat st{};
  EXPECT_EQ(fstat(fd, &st), 0);
  return {st.st_dev, st.st_ino};
}

int Memfd(const char* name) {
  const int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  return fd;
}

std::vector<Event> Slots(std::size_t count) {
  std::vector<Event> slots(count);
  for (std::size_t i = 0; i < count; ++i) {
    slots[i].seq = i + 1;
    slots[i].address = 0x1000 * (i + 1);
    slots[i].size = 64 * (i + 1);
  }
  return slots;
}

TEST_F(WireProtocol, APacketWithoutFdsArrivesAsSent) {
  const std::string sent = "one packet, one message";
  ASSERT_TRUE(SendPacket(client_, sent.data(), sent.size()));
  char received[64] = {};
  std::array<int, 2> fds{7, 7};  // set to -1: none came
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), kWait, fds), static_cast<long>(sent.size()));
  EXPECT_EQ(std::string(received, sent.size()), sent);
  EXPECT_EQ(fds, (std::array<int, 2>{-1, -1}));
}

// Two fresh memfds sent with `message` on `socket`: the sender's copies,
// which the caller closes.
std::array<int, 2> SendWithTwoMemfds(int socket, std::string_view message) {
  const std::array<int, 2> sent{Memfd("first"), Memfd("second")};
  EXPECT_TRUE(SendPacket(socket, message.data(), message.size(), sent));
  return sent;
}

TEST_F(WireProtocol, PassedFdsArriveInOrderAsNewDescriptorsOfTheSameFiles) {
  const std::string_view message = "hello";
  const std::array<int, 2> sent_fds = SendWithTwoMemfds(client_, message);
  char received[16];
  std::array<int, 2> fds{-1, -1};
  ASSERT_EQ(ReceivePacket(server_, received, sizeof(received), kWait, fds), static_cast<long>(message.size()));
  for (int i = 0; i < 2; ++i) {
    ASSERT_GE(fds[i], 0) << i;
    EXPECT_NE(fds[i], sent_fds[i]);
    EXPECT_EQ(FileOf(fds[i]), FileOf(sent_fds[i])) << i;
    EXPECT_NE(fcntl(fds[i], F_GETFD) & FD_CLOEXEC, 0) << "a passed fd must not leak into an exec";
    close(fds[i]);
    close(sent_fds[i]);
  }
}

TEST_F(WireProtocol, FdsBeyondTheReadersRoomAreClosed) {
  const std::string_view message = "two fds";
  const std::array<int, 2> sent_fds = SendWithTwoMemfds(client_, message);
  const std::size_t before = OpenDescriptors();
  char received[16];
  std::array<int, 1> fds{-1};
  ASSERT_EQ(ReceivePacket(server_, received, sizeof(received), kWait, fds), static_cast<long>(message.size()));
  ASSERT_GE(fds[0], 0);
  EXPECT_EQ(FileOf(fds[0]), FileOf(sent_fds[0]));
  EXPECT_EQ(OpenDescriptors(), before + 1) << "the second fd was kept open";
  close(fds[0]);
  for (const int fd : sent_fds) close(fd);
}

TEST_F(WireProtocol, AtMostTwoFdsAreSent) {
  const int fd = Memfd("one");
  const std::array<int, 3> three{fd, fd, fd};
  errno = 0;
  EXPECT_FALSE(SendPacket(client_, "x", 1, three));
  EXPECT_EQ(errno, EINVAL);
  close(fd);
}

TEST_F(WireProtocol, APacketLargerThanTheReadersRoomIsRefusedAndItsFdsClosed) {
  const std::string sent(200, 'h');
  const int fd = Memfd("ring");
  ASSERT_TRUE(SendPacket(client_, sent.data(), sent.size(), std::span(&fd, 1)));
  const std::size_t before = OpenDescriptors();
  char received[128];
  std::array<int, 2> fds{-1, -1};
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), kWait, fds), -1);
  EXPECT_EQ(fds, (std::array<int, 2>{-1, -1}));
  EXPECT_EQ(OpenDescriptors(), before) << "the truncated packet's fd was kept open";
  // The next packet is read whole: nothing of the refused one is left over.
  ASSERT_TRUE(SendPacket(client_, "next", 4));
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), kWait), 4);
  EXPECT_EQ(std::string(received, 4), "next");
  close(fd);
}

TEST_F(WireProtocol, NothingSentIsMinusOneOnceTheWaitIsOver) {
  char received[16];
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), 0ms), -1);
}

TEST_F(WireProtocol, APeerThatHangsUpIsMinusOne) {
  ASSERT_TRUE(SendPacket(client_, "last", 4));
  CloseClient();
  char received[16];
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), kWait), 4) << "what it sent before is still read";
  EXPECT_EQ(ReceivePacket(server_, received, sizeof(received), kWait), -1);
}

TEST_F(WireProtocol, SendingToAPeerThatHungUpIsAnError) {
  CloseServer();
  errno = 0;
  EXPECT_FALSE(SendPacket(client_, "anyone?", 7));
  EXPECT_EQ(errno, EPIPE);
}

TEST_F(WireProtocol, CarriedOverStateRoundTripsThroughASealedMemfd) {
  const std::vector<Event> slots = Slots(5);
  std::string error;
  const int fd = WriteCarriedOver(slots, &error);
  ASSERT_GE(fd, 0) << error;
  // Passed as a resumed Hello passes it, and read on the other side.
  const char message[] = "resumed";
  ASSERT_TRUE(SendPacket(client_, message, sizeof(message), std::span(&fd, 1)));
  close(fd);
  char received[16];
  std::array<int, 1> fds{-1};
  ASSERT_EQ(ReceivePacket(server_, received, sizeof(received), kWait, fds), static_cast<long>(sizeof(message)));
  const auto back = ReadCarriedOver(fds[0], &error);
  close(fds[0]);
  ASSERT_TRUE(back.has_value()) << error;
  ASSERT_EQ(back->size(), slots.size());
  EXPECT_EQ(std::memcmp(back->data(), slots.data(), slots.size() * sizeof(Event)), 0);
}

TEST_F(WireProtocol, CarriedOverStateMustBeSealedWholeSlots) {
  std::string error;
  const int unsealed = Memfd("unsealed");
  ASSERT_EQ(ftruncate(unsealed, 4 * sizeof(Event)), 0);
  EXPECT_FALSE(ReadCarriedOver(unsealed, &error).has_value());
  EXPECT_NE(error.find("not a sealed memfd"), std::string::npos) << error;
  close(unsealed);

  const int partial = Memfd("partial");
  ASSERT_EQ(ftruncate(partial, sizeof(Event) + 8), 0);
  ASSERT_EQ(fcntl(partial, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE), 0);
  EXPECT_FALSE(ReadCarriedOver(partial, &error).has_value());
  EXPECT_NE(error.find("not whole slots"), std::string::npos) << error;
  close(partial);

  int pipe_ends[2];
  ASSERT_EQ(pipe(pipe_ends), 0);
  EXPECT_FALSE(ReadCarriedOver(pipe_ends[0], &error).has_value());
  EXPECT_NE(error.find("not a sealed memfd"), std::string::npos) << error;
  close(pipe_ends[0]);
  close(pipe_ends[1]);
}

TEST(ReplyPackets, TheLengthThenTheJsonInChunks) {
  const std::string json(2 * kReplyChunkBytes + 100, 'j');
  const std::vector<std::string> packets = ReplyPackets(json);
  ASSERT_EQ(packets.size(), 4u);
  std::uint64_t length = 0;
  ASSERT_EQ(packets[0].size(), sizeof(length));
  std::memcpy(&length, packets[0].data(), sizeof(length));
  EXPECT_EQ(length, json.size());
  std::string joined;
  for (std::size_t i = 1; i < packets.size(); ++i) {
    EXPECT_LE(packets[i].size(), kReplyChunkBytes);
    EXPECT_FALSE(packets[i].empty()) << "an empty packet reads as a hang-up";
    joined += packets[i];
  }
  EXPECT_EQ(joined, json);
  EXPECT_EQ(ReplyPackets("").size(), 1u) << "an empty answer is its length alone";
}

}  // namespace
}  // namespace memledger
