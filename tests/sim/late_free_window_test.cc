// late_free_window_test.cc — LateFreeWindow: events go on freely up to the
// bound behind the oldest pending late free, the late free's own end never
// waits, and an event past the bound waits until that late free ended.
#include "sim/late_free_window.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <gtest/gtest.h>

namespace memledger::sim {
namespace {

constexpr std::uint64_t kBound = LateFreeWindow::kMaxEventsBehind;

TEST(LateFreeWindowTest, EventsGoOnUpToTheBoundAndTheLateFreeEndsWithoutWaiting) {
  LateFreeWindow window;
  for (std::uint64_t i = 0; i < 3 * kBound; ++i) window.CountEvent();  // nothing pending: never waits
  const LateFreeWindow::Ticket oldest = window.Begin();
  for (std::uint64_t i = 0; i + 1 < kBound; ++i) window.CountEvent();
  const LateFreeWindow::Ticket newer = window.Begin();  // kBound - 1 behind: still room
  window.CountEvent();                                   // the last event with room
  window.End(oldest);  // kBound behind: ends all the same
  window.End(newer);
  for (std::uint64_t i = 0; i < 3 * kBound; ++i) window.CountEvent();  // nothing pending again
}

TEST(LateFreeWindowTest, TheBoundFollowsTheOldestPendingLateFree) {
  LateFreeWindow window;
  const LateFreeWindow::Ticket first = window.Begin();
  for (std::uint64_t i = 0; i < kBound / 2; ++i) window.CountEvent();
  const LateFreeWindow::Ticket second = window.Begin();
  window.End(first);  // counts one event: kBound / 2 + 1 behind the second
  // Up to kBound events after the second began, the last with room: waiting
  // for the first (kBound * 3 / 2 behind) would hang here.
  for (std::uint64_t i = 0; i + 1 < kBound; ++i) window.CountEvent();
  window.End(second);
}

// A thread past the bound waits for the late free to end; it cannot be seen
// waiting, only not having gone on: a broken window fails this check when the
// thread is quick enough, a working one never does.
TEST(LateFreeWindowConcurrentTest, AnEventPastTheBoundWaitsForTheLateFreeToEnd) {
  LateFreeWindow window;
  const LateFreeWindow::Ticket ticket = window.Begin();
  for (std::uint64_t i = 0; i < kBound; ++i) window.CountEvent();
  std::atomic<bool> counted{false};
  std::thread late([&] {
    window.CountEvent();
    counted.store(true, std::memory_order_release);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(counted.load(std::memory_order_acquire)) << "an event went on past the bound";
  window.End(ticket);
  late.join();
  EXPECT_TRUE(counted.load(std::memory_order_acquire));
}

}  // namespace
}  // namespace memledger::sim
