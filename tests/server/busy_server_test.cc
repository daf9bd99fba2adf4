// busy_server_test.cc — a server busy draining rings still answers a
// process that is starting: its Hello is answered between two sessions'
// drains, within the turn of the loop that took its connection, not after
// a pass over every busy session (with hundreds of them a pass takes long,
// and the process waits for its Welcome before it runs). A real Server
// turned by this thread (server_fixture.h); this test is every process.
#include <poll.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
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

constexpr std::uint64_t kBusyRingSlots = 1 << 15;
constexpr std::uint64_t kBusyEvents = 20'000;  // each busy ring: more than one turn drains of a session

class BusyServerTest : public ServerFixture {
 protected:
  // A tracked process's ring, accepted by the server.
  std::unique_ptr<EventRing> Connected(std::uint64_t slots, int* fd) {
    auto ring = Ring(slots);
    if (!ring) return nullptr;
    *fd = Connect();
    EXPECT_TRUE(OfferOn(*fd, *ring));
    return ring;
  }
  static void Allocate(EventRing& ring, std::uint64_t buffers) {
    for (std::uint64_t id = 1; id <= buffers; ++id) ring.Publish(ring.Claim(1), DramAlloc(id));
  }
  static std::uint64_t Drained(EventRing& ring) {
    return ring.header().tail.load() & ((std::uint64_t{1} << 48) - 1);
  }
};

TEST_F(BusyServerTest, AHelloIsAnsweredBetweenBusySessionsDrains) {
  std::vector<std::unique_ptr<EventRing>> busy;
  for (int i = 0; i < 2; ++i) {
    int fd = -1;
    busy.push_back(Connected(kBusyRingSlots, &fd));
    ASSERT_NE(busy.back(), nullptr);
    ASSERT_EQ(WelcomeOn(fd).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
    Allocate(*busy.back(), kBusyEvents);
  }

  // A process starts: it connects and sends its Hello before the loop turns.
  int starting = -1;
  const auto ring = Connected(kMinRingSlots, &starting);
  ASSERT_NE(ring, nullptr);
  server_->Poll(std::chrono::milliseconds(0));

  pollfd answered{starting, POLLIN, 0};
  ASSERT_EQ(poll(&answered, 1, 0), 1) << "no Welcome after one turn of a busy loop";
  WelcomeMessage welcome{};
  ASSERT_EQ(ReceivePacket(starting, &welcome, sizeof(welcome), std::chrono::milliseconds(0)),
            static_cast<long>(sizeof(welcome)));
  EXPECT_EQ(welcome.status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
  // The turn was busy: neither busy ring was drained whole in it.
  for (const auto& r : busy) EXPECT_LT(Drained(*r), kBusyEvents) << "the turn was not busy: the test shows nothing";

  // And nothing was lost to the interruption: every buffer is booked.
  const auto summary = Query();
  ASSERT_TRUE(summary.has_value());
  std::uint64_t live = 0;
  for (const auto& row : (*summary)["processes"]) {
    for (const auto& device : row["devices"]) {
      for (const auto& [type, held] : device["types"].items()) live += held["live_buffers"].get<std::uint64_t>();
    }
  }
  EXPECT_EQ(live, 2 * kBusyEvents);
}


// A resumed Hello answered between two sessions' drains, in the pass that
// is about to drain its process's old session (a higher socket than the
// busy one): it ends that session itself, and the books go on in one row.
TEST_F(BusyServerTest, AResumedHelloAnsweredBetweenDrainsContinuesItsBooks) {
  int busy_fd = -1;
  const auto busy = Connected(kBusyRingSlots, &busy_fd);  // the lower socket: drained first
  ASSERT_NE(busy, nullptr);
  ASSERT_EQ(WelcomeOn(busy_fd).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
  int first = -1;
  const auto ring = Connected(kMinRingSlots, &first);
  ASSERT_NE(ring, nullptr);
  ASSERT_EQ(WelcomeOn(first).status, static_cast<std::uint32_t>(WelcomeStatus::kAccepted));
  Allocate(*busy, kBusyEvents);

  // This process takes its ring back and hands it back before the loop turns.
  TakeRing(ring->header());
  const int second = Connect();
  ASSERT_TRUE(HandBackOn(second, *ring, Handover{.handovers = 2}, {}));
  // One turn: the connection is taken and its Hello answered after the busy
  // session's drain, before the old session's.
  server_->Poll(std::chrono::milliseconds(0));
  pollfd answered{second, POLLIN, 0};
  ASSERT_EQ(poll(&answered, 1, 0), 1) << "the resumed Hello was not answered between drains";
  EXPECT_LT(Drained(*busy), kBusyEvents) << "the turn was not busy: the test shows nothing";

  const auto summary = Query();
  ASSERT_TRUE(summary.has_value());
  std::size_t rows = 0;
  for (const auto& row : (*summary)["processes"]) {
    if (row["pid"] == getpid()) ++rows;
  }
  EXPECT_EQ(rows, 2u) << "the busy process and this one, each once: " << summary->dump();
}

}  // namespace
}  // namespace memledger
