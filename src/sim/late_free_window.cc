// late_free_window.cc — the pending late frees and the event count behind them.
#include "sim/late_free_window.h"

#include <thread>

namespace memledger::sim {

void LateFreeWindow::WaitForRoom() const {
  for (;;) {
    // Acquire pairs with the release stores in Begin and End.
    const std::uint64_t oldest = oldest_pending_.load(std::memory_order_acquire);
    if (oldest == kNonePending || events_.load(std::memory_order_relaxed) - oldest < kMaxEventsBehind) return;
    std::this_thread::yield();  // the late free's thread needs a core to end it
  }
}

void LateFreeWindow::CountEvent() {
  WaitForRoom();
  events_.fetch_add(1, std::memory_order_relaxed);
}

LateFreeWindow::Ticket LateFreeWindow::Begin() {
  WaitForRoom();
  std::lock_guard lock(mutex_);
  const std::uint64_t at = events_.load(std::memory_order_relaxed);
  pending_.insert(at);
  oldest_pending_.store(*pending_.begin(), std::memory_order_release);
  return Ticket{at};
}

void LateFreeWindow::End(Ticket ticket) {
  events_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(mutex_);
  pending_.erase(pending_.find(static_cast<std::uint64_t>(ticket)));
  oldest_pending_.store(pending_.empty() ? kNonePending : *pending_.begin(), std::memory_order_release);
}

LateFreeWindow& ProcessLateFreeWindow() {
  static LateFreeWindow window;
  return window;
}

}  // namespace memledger::sim
