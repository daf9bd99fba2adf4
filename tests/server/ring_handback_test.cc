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
  // Offers a ring on a new connection, and two buffers in it, drained into the server's books.
  std::unique_ptr<EventRing> Accepted(int* fd) {
    auto ring = Ring();
    *fd = Connect();
    EXPECT_TRUE(OfferOn(*fd, *ring));
    EXPECT_EQ(WelcomeOn(*fd).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
    const std::uint64_t seq = ring->Claim(2);
    ring->Publish(seq, DramAlloc(1));
    ring->Publish(seq + 1, DramAlloc(2));
    for (int turn = 0; turn < 100; ++turn) server_->Poll(std::chrono::milliseconds(1));
    return ring;
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
  int first = -1;
  const auto ring = Accepted(&first);
  std::vector<nlohmann::json> rows = OwnRows();
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(LiveBuffers(rows[0]), 2u);

  // The process takes its ring back (its server stalled) and hangs up; it
  // allocates a third buffer, booked by its own consumer; then it comes
  // back with that buffer carried over.
  TakeRing(ring->header());
  close(first);
  const int second = Connect();
  std::vector<Event> carried;
  AppendRecord(carried, DramAlloc(3));
  ASSERT_TRUE(HandBackOn(second, *ring, Handover{.handovers = 2, .records_elsewhere = 1}, carried));
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
  int first = -1;
  const auto ring = Accepted(&first);

  // The second connection is taken while the first session still drains a
  // ring that is the server's.
  const int second = Connect();
  for (int turn = 0; turn < 10; ++turn) server_->Poll(std::chrono::milliseconds(1));
  // Now the process takes its ring back, books a third buffer itself, and
  // hands the ring back on the connection already taken.
  TakeRing(ring->header());
  std::vector<Event> carried;
  AppendRecord(carried, DramAlloc(3));
  ASSERT_TRUE(HandBackOn(second, *ring, Handover{.handovers = 2, .records_elsewhere = 1}, carried));
  ASSERT_EQ(WelcomeOn(second).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));

  const std::vector<nlohmann::json> rows = OwnRows();
  ASSERT_EQ(rows.size(), 1u) << "one process, one row: " << nlohmann::json(rows).dump();
  EXPECT_EQ(rows[0]["state"], "running");
  EXPECT_EQ(LiveBuffers(rows[0]), 3u) << rows[0].dump();
  EXPECT_EQ(rows[0]["handover"]["handovers"], 2u) << rows[0].dump();
}

}  // namespace
}  // namespace memledger
