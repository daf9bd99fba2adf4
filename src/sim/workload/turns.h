// turns.h — Turns: threads that share a device take their steps on it in
// turn (round robin, in player order), so what happens on the device — every
// address, every failure — is the same in every run with one seed, while
// threads on other devices run at the same time. A player that is done
// leaves; the others go on without it.
//
// Thread-safety: thread-safe; one mutex and condition variable. Each player
// index is used by one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

namespace memledger::sim {

class Turns {
 public:
  explicit Turns(std::uint32_t players);

  // Waits until it is `player`'s turn.
  void Wait(std::uint32_t player);
  // Ends `player`'s turn (it must hold it); the next player still playing goes.
  void Pass(std::uint32_t player);
  // Ends `player`'s turn for good.
  void Leave(std::uint32_t player);

 private:
  void PassLocked(std::uint32_t player);

  std::mutex mutex_;
  std::condition_variable turn_changed_;
  std::vector<bool> playing_;  // protected by mutex_
  std::uint32_t current_ = 0;  // whose turn; protected by mutex_
};

}  // namespace memledger::sim
