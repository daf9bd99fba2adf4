// ring_handback_test.cc — a process that took its ring back from the server
// and hands it back: its books go on as one process's books, never two.
// A real Server turned by this thread (server_fixture.h); this test is the
// tracked process: it offers, takes and re-offers a real ring the way
// ring_ownership.h says, and hands back its carried-over state in a memfd.
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "control/handshake.h"
#include "control/wire_protocol.h"
#include "event/handover.h"
#include "event/record.h"
#include "ring/event_ring.h"
#include "ring/ring_ownership.h"
#include "server_fixture.h"

namespace memledger {
namespace {

class RingHandbackTest : public ServerFixture {
 protected:
  static Event Alloc(std::uint64_t id) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
    e.type = MEMLEDGER_DRAM;
    e.buffer_id = id;
    e.address = id * 0x1000;
    e.size = 0x1000;
    return e;
  }
  // This process's rows in the server's summary.
  std::vector<nlohmann::json> OwnRows() {
    std::vector<nlohmann::json> rows;
    const auto summary = Query();
    EXPECT_TRUE(summary.has_value());
    if (!summary) return rows;
    for (const auto& row : (*summary)["processes"]) {
      if (row["pid"] == getpid()) rows.push_back(row);
    }
    return rows;
  }
  static std::uint64_t LiveBuffers(const nlohmann::json& row) {
    std::uint64_t live = 0;
    for (const auto& device : row["devices"]) {
      for (const auto& [type, held] : device["types"].items()) live += held["live_buffers"].get<std::uint64_t>();
    }
    return live;
  }
};

// The server reads the process's hang-up and its resumed Hello in quick
// succession (the process drained its ring itself meanwhile, so its session
// here has nothing more to drain): the session must end released before
// the Hello is read, and the resumed books go on from it, never begin
// beside it (two rows for one pid: the first "released" with what it held,
// the second holding only what was carried).
TEST_F(RingHandbackTest, AResumedHelloEndsTheSessionItOvertookAndItsBooksGoOn) {
  auto ring = Ring();
  const int first = Connect();
  HelloMessage hello = Hello();
  hello.ring_epoch = OfferRing(ring->header());
  const int ring_fd = ring->fd();
  ASSERT_TRUE(SendPacket(first, &hello, sizeof(hello), std::span(&ring_fd, 1)));
  ASSERT_EQ(WelcomeOn(first).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
  // Two buffers, drained into the server's books.
  const std::uint64_t seq = ring->Claim(2);
  ring->Publish(seq, Alloc(1));
  ring->Publish(seq + 1, Alloc(2));
  for (int turn = 0; turn < 100; ++turn) server_->Poll(std::chrono::milliseconds(1));
  std::vector<nlohmann::json> rows = OwnRows();
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(LiveBuffers(rows[0]), 2u);

  // The process takes its ring back (its server stalled) and hangs up; it
  // allocates a third buffer, booked by its own consumer; then it comes
  // back with that buffer carried over.
  TakeRing(ring->header());
  close(first);
  const int second = Connect();
  HelloMessage resumed = Hello();
  SetResumed(&resumed, Handover{.handovers = 2, .records_elsewhere = 1});
  std::vector<Event> carried;
  AppendRecord(carried, Alloc(3));
  std::string error;
  const int carried_fd = WriteCarriedOver(carried, &error);
  ASSERT_GE(carried_fd, 0) << error;
  resumed.ring_epoch = OfferRing(ring->header());
  const std::array<int, 2> fds{ring->fd(), carried_fd};
  ASSERT_TRUE(SendPacket(second, &resumed, sizeof(resumed), fds));
  close(carried_fd);
  ASSERT_EQ(WelcomeOn(second).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));

  rows = OwnRows();
  ASSERT_EQ(rows.size(), 1u) << "one process, one row: " << nlohmann::json(rows).dump();
  EXPECT_EQ(rows[0]["state"], "running");
  EXPECT_EQ(LiveBuffers(rows[0]), 3u) << rows[0].dump();
  EXPECT_EQ(rows[0]["handover"]["records_elsewhere"], 1u) << rows[0].dump();
  EXPECT_EQ(rows[0]["handover"]["handovers"], 2u) << rows[0].dump();
}


// The resumed Hello is read before the server drained the old session once
// since the process took its ring back: its connection was taken while the
// server still held the ring (or between two sessions' drains of a busy
// turn), and the Hello came after the takeback. The Hello itself must end
// the session it overtook, not the next drain pass: one process, one row.
TEST_F(RingHandbackTest, AResumedHelloReadBeforeTheOldSessionsNextDrainStillGoesOn) {
  auto ring = Ring();
  const int first = Connect();
  HelloMessage hello = Hello();
  hello.ring_epoch = OfferRing(ring->header());
  const int ring_fd = ring->fd();
  ASSERT_TRUE(SendPacket(first, &hello, sizeof(hello), std::span(&ring_fd, 1)));
  ASSERT_EQ(WelcomeOn(first).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
  const std::uint64_t seq = ring->Claim(2);
  ring->Publish(seq, Alloc(1));
  ring->Publish(seq + 1, Alloc(2));
  for (int turn = 0; turn < 100; ++turn) server_->Poll(std::chrono::milliseconds(1));

  // The second connection is taken while the first session still drains a
  // ring that is the server's.
  const int second = Connect();
  for (int turn = 0; turn < 10; ++turn) server_->Poll(std::chrono::milliseconds(1));
  // Now the process takes its ring back, books a third buffer itself, and
  // hands the ring back on the connection already taken.
  TakeRing(ring->header());
  HelloMessage resumed = Hello();
  SetResumed(&resumed, Handover{.handovers = 2, .records_elsewhere = 1});
  std::vector<Event> carried;
  AppendRecord(carried, Alloc(3));
  std::string error;
  const int carried_fd = WriteCarriedOver(carried, &error);
  ASSERT_GE(carried_fd, 0) << error;
  resumed.ring_epoch = OfferRing(ring->header());
  const std::array<int, 2> fds{ring->fd(), carried_fd};
  ASSERT_TRUE(SendPacket(second, &resumed, sizeof(resumed), fds));
  close(carried_fd);
  ASSERT_EQ(WelcomeOn(second).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));

  const std::vector<nlohmann::json> rows = OwnRows();
  ASSERT_EQ(rows.size(), 1u) << "one process, one row: " << nlohmann::json(rows).dump();
  EXPECT_EQ(rows[0]["state"], "running");
  EXPECT_EQ(LiveBuffers(rows[0]), 3u) << rows[0].dump();
  EXPECT_EQ(rows[0]["handover"]["handovers"], 2u) << rows[0].dump();
}

}  // namespace
}  // namespace memledger
