// late_free_window.h — LateFreeWindow: under HookOrder::kLateFree, bounds how
// far a late free hook may fall behind the reallocation of its address.
//
// The ledger tells the deliberate bug from a real overlap by distance: a FREE
// within 65,536 records of the ALLOC that overlapped its buffer is a
// late_free_hook, a later one an overlap (src/ledger/ledger.cc). A releasing
// thread descheduled between giving its address back and running its hook
// would let the other threads publish more than that (seen on a loaded
// 2-core machine: 2 of 20 runs of 8 threads booked thousands of overlaps), and
// the same run would be booked as a different bug. So while a late free is
// pending, every other hook event waits once kMaxEventsBehind events were
// counted since the oldest pending late free began.
//
// Invariant: events counted after a pending late free began, before it ends,
// ≤ kMaxEventsBehind + (threads that passed the check at once).
// kMaxEventsBehind stays far below the ledger's 65,536 records even when
// each event also carries a stack definition of a few slots.
// Counted: the hook events of the devices that use the window (Device under
// kLateFree); marks and tags are not counted (no workload run with late frees
// makes many).
//
// Thread-safety: thread-safe. No member waits while holding a lock; a pending
// late free never waits, so the threads waiting for it cannot block it.
#pragma once

#include <atomic>
#include <cstdint>
#include <limits>
#include <mutex>
#include <set>

namespace memledger::sim {

class LateFreeWindow {
 public:
  static constexpr std::uint64_t kMaxEventsBehind = 2048;

  // What Begin returns and End takes back: the event count at its begin.
  enum class Ticket : std::uint64_t {};

  // Before a hook event that is not the end of a late free: waits (yielding)
  // while the oldest pending late free is kMaxEventsBehind events behind,
  // then counts the event.
  void CountEvent();
  // Before a late free gives its address back: waits as CountEvent does, then
  // opens the late free as pending.
  Ticket Begin();
  // After the late free's hook ran: counts that event (without waiting) and
  // closes the late free.
  void End(Ticket ticket);

 private:
  static constexpr std::uint64_t kNonePending = std::numeric_limits<std::uint64_t>::max();

  void WaitForRoom() const;

  std::atomic<std::uint64_t> events_{0};
  // The smallest ticket in pending_, kNonePending when it is empty; written
  // under mutex_ (release), read by the waiting threads (acquire).
  std::atomic<std::uint64_t> oldest_pending_{kNonePending};
  std::mutex mutex_;
  std::multiset<std::uint64_t> pending_;  // tickets of the pending late frees; protected by mutex_
};

// The process's window: the ledger numbers records per process, so all
// devices of a process share one.
LateFreeWindow& ProcessLateFreeWindow();

}  // namespace memledger::sim
