// late_free_window.cc — the pending late frees and the event count behind them.
#include "sim/late_free_window.h"

namespace memledger::sim {

bool LateFreeWindow::HasRoom() const {
  // Acquire pairs with the release stores in Begin and End.
  const std::uint64_t oldest = oldest_pending_.load(std::memory_order_acquire);
  return oldest == kNonePending || events_.load(std::memory_order_relaxed) - oldest < kMaxEventsBehind;
}

void LateFreeWindow::WaitForRoom() {
  if (HasRoom()) return;  // nearly always: no lock
  std::unique_lock lock(mutex_);
  room_.wait(lock, [this] { return HasRoom(); });  // End changes the oldest under mutex_, then notifies
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
  {
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(static_cast<std::uint64_t>(ticket));
    const bool was_oldest = it == pending_.begin();
    pending_.erase(it);
    oldest_pending_.store(pending_.empty() ? kNonePending : *pending_.begin(), std::memory_order_release);
    if (!was_oldest) return;  // the bound did not move
  }
  room_.notify_all();
}

LateFreeWindow& ProcessLateFreeWindow() {
  static LateFreeWindow window;
  return window;
}

}  // namespace memledger::sim
