// turns.cc — round-robin turns among the threads of a device.
#include "sim/workload/turns.h"

namespace memledger::sim {

Turns::Turns(std::uint32_t players) : playing_(players, true) {}

void Turns::Wait(std::uint32_t player) {
  std::unique_lock lock(mutex_);
  turn_changed_.wait(lock, [&] { return current_ == player; });
}

void Turns::Pass(std::uint32_t player) {
  std::lock_guard lock(mutex_);
  PassLocked(player);
}

void Turns::Leave(std::uint32_t player) {
  std::lock_guard lock(mutex_);
  playing_[player] = false;
  PassLocked(player);
}

void Turns::PassLocked(std::uint32_t player) {
  const auto players = static_cast<std::uint32_t>(playing_.size());
  for (std::uint32_t step = 1; step <= players; ++step) {
    const std::uint32_t next = (player + step) % players;
    if (playing_[next]) {
      current_ = next;
      break;
    }
  }
  turn_changed_.notify_all();
}

}  // namespace memledger::sim
