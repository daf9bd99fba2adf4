// server_query_test.cc — the query client (server_query.h) against a fake
// server on the other end of real SOCK_SEQPACKET sockets, on a thread of
// its own: a whole answer of several packets is read whole, a refusal is
// said with the server's reason, a server that hangs up part-way is an
// incomplete answer, one that hangs up at once is no answer, and no server
// at the path says how to start one. (A stopped server is said as such:
// tests/python/test_checkpoint.py stops a real one.)
#include "control/server_query.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "control/handshake.h"
#include "packet_pair.h"

namespace memledger {
namespace {

using namespace std::chrono_literals;

class ServerQuery : public PacketPairTest {
 protected:
  // Runs `serve` as the server: it reads the Query, checks it, and answers
  // (or not) as `serve` says.
  void Serve(std::function<void(int server)> serve) {
    server_thread_ = std::thread([this, serve = std::move(serve)] {
      QueryMessage query{};
      const long size = ReceivePacket(server_, &query, sizeof(query), 10s);
      query_refused_ = size < 0 || CheckQuery(query, static_cast<std::size_t>(size)).has_value();
      serve(server_);
    });
  }
  void TearDown() override {
    if (server_thread_.joinable()) server_thread_.join();
    PacketPairTest::TearDown();
  }
  std::optional<std::string> Ask(std::string* error) {
    auto json = AskSummary(client_, "/test.sock", error);
    server_thread_.join();
    return json;
  }

  std::thread server_thread_;
  bool query_refused_ = true;  // written by the server's thread, read after join
};

TEST_F(ServerQuery, AnAnswerOfSeveralPacketsIsReadWhole) {
  const std::string summary = "{\"x\":\"" + std::string(3 * kReplyChunkBytes, 'x') + "\"}";
  Serve([&](int server) {
    for (const std::string& packet : ReplyPackets(summary)) SendPacket(server, packet.data(), packet.size());
  });
  std::string error;
  const auto json = Ask(&error);
  EXPECT_FALSE(query_refused_) << "the client's Query is not one the server answers";
  ASSERT_TRUE(json.has_value()) << error;
  EXPECT_EQ(*json, summary);
}

TEST_F(ServerQuery, ARefusalIsSaidWithTheServersReason) {
  Serve([](int server) { SendWelcome(server, WelcomeStatus::kServerFull, "ask again"); });
  std::string error;
  EXPECT_FALSE(Ask(&error).has_value());
  EXPECT_EQ(error, "the server at /test.sock refused the query: ask again");
}

TEST_F(ServerQuery, AServerThatHangsUpPartWayGaveNoAnswer) {
  const std::string summary(2 * kReplyChunkBytes, 's');
  Serve([&](int server) {
    const auto packets = ReplyPackets(summary);
    SendPacket(server, packets[0].data(), packets[0].size());  // the length
    SendPacket(server, packets[1].data(), packets[1].size());  // half the JSON
    close(server);
    server_ = -1;
  });
  std::string error;
  EXPECT_FALSE(Ask(&error).has_value());
  EXPECT_EQ(error, "the server at /test.sock did not answer the query completely");
}

TEST_F(ServerQuery, AServerThatHangsUpBeforeAnsweringIsSaidSo) {
  Serve([&](int server) {
    close(server);
    server_ = -1;
  });
  std::string error;
  EXPECT_FALSE(Ask(&error).has_value());
  EXPECT_EQ(error, "the server at /test.sock did not answer the query within 10000 ms (or hung up)");
}

TEST(QuerySummary, NoServerThereSaysHowToStartOne) {
  std::string error;
  EXPECT_FALSE(QuerySummary("/nonexistent-memledger-dir/memledger.sock", &error).has_value());
  EXPECT_NE(error.find("no memledger server answers at /nonexistent-memledger-dir/memledger.sock"), std::string::npos)
      << error;
  EXPECT_NE(error.find("memledger serve"), std::string::npos) << error;
}

}  // namespace
}  // namespace memledger
