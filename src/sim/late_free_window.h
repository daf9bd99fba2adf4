// late_free_window.h — LateFreeWindow: under HookOrder::kLateFree, bounds how
// far a late free hook may fall behind the reallocation of its address.
//
// The ledger tells the deliberate bug from a real overlap by distance: a FREE
// within 65,536 records of the ALLOC that overlapped its buffer is a
// late_free_hook, a later one an overlap (src/ledger/ledger.cc). A releasing
// thread descheduled between giving its address back and running its hook
// would let the other threads publish more than that (seen on a loaded
// 2-core machine: 18 of 400 runs of 8 threads, 11 of 100 at nice 19, booked
// thousands of overlaps; none of 400 since), and the same run would be
// booked as a different bug. So while a late free
// is pending, every other hook event waits once kMaxEventsBehind events were
// counted since the oldest pending late free began.
//
// Invariant: events counted after a pending late free began, before it ends,
// ≤ kMaxEventsBehind + (threads that passed the check at once). Half the
// ledger's window: an event is one slot (it names its stack by id; a stack's
// frames are recorded once, the first time), which leaves the other half for
// those definitions and for what is not counted — the hook events of devices
// that do not use the window (Device uses it under kLateFree only), marks
// and tags (no workload run with late frees makes many). Waiting is rare: it
// takes a releasing thread kept off its core while the others report 32,768
// events.
//
// Thread-safety: thread-safe. Waiting threads block (they leave the cores to
// the late free's thread); a pending late free never waits, so the threads
// waiting for it cannot block it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <set>

namespace memledger::sim {

class LateFreeWindow {
 public:
  static constexpr std::uint64_t kMaxEventsBehind = 1 << 15;

  // What Begin returns and End takes back: the event count at its begin.
  enum class Ticket : std::uint64_t {};

  // Before a hook event that is not the end of a late free: waits while the
  // oldest pending late free is kMaxEventsBehind events behind, then counts
  // the event.
  void CountEvent();
  // Before a late free gives its address back: waits as CountEvent does, then
  // opens the late free as pending.
  Ticket Begin();
  // After the late free's hook ran: counts that event (without waiting) and
  // closes the late free.
  void End(Ticket ticket);

 private:
  static constexpr std::uint64_t kNonePending = std::numeric_limits<std::uint64_t>::max();

  bool HasRoom() const;
  void WaitForRoom();

  std::atomic<std::uint64_t> events_{0};
  // The smallest ticket in pending_, kNonePending when it is empty; written
  // under mutex_ (release), read without it by HasRoom (acquire).
  std::atomic<std::uint64_t> oldest_pending_{kNonePending};
  std::mutex mutex_;
  std::condition_variable room_;          // notified when the oldest pending late free ends
  std::multiset<std::uint64_t> pending_;  // tickets of the pending late frees; protected by mutex_
};

// The process's window: the ledger numbers records per process, so all
// devices of a process share one.
LateFreeWindow& ProcessLateFreeWindow();

}  // namespace memledger::sim
