// timeline_plan.h — TimelinePlan: what a bounded HTML page keeps of a history
// too long to keep whole (more changes than the page's budget), learnt in the
// report's first replay and followed in its second (timeline_recorder.h).
//
// Changes are numbered 0, 1, ... in replay order (the same in both replays).
// A pool is one chart of the page: a process's device × memory type. For
// each pool the plan keeps, per time bucket, which changes left the pool's
// total at its lowest and its highest in the bucket, and its last change
// there: the page replays the pool's series only at those changes, so every
// bucket's total reaches its exact min and max (peaks exact), and each
// drawn state is one the books really held. Buckets are kBuckets wide over
// the whole history; their width doubles (neighbours merged) whenever time
// outgrows them, so memory is pools × kBuckets whatever the events.
//
// Detail windows are change ranges the page keeps whole (every change, its
// site and address): around each pool's peak, before each allocation
// failure, and the end. Windows() picks them within a budget of changes.
//
// Not thread-safe: the replaying thread only.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace memledger {

// A change range kept whole: [begin, end) in change numbers; `why` is what
// the page says of it ("peak of DRAM on device 0", "failure 3", "the end").
struct DetailWindow {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::string why;
};

class TimelinePlan {
 public:
  static constexpr std::size_t kBuckets = 8192;
  static constexpr std::uint64_t kNone = UINT64_MAX;

  // Change `number` moved pool `pool`'s total by `delta` at `time_ns`
  // (times never go back). Numbers come in order, from 0. Changes at one
  // instant count as one: only the total after a pool's last change at an
  // instant is a state it was in (the page draws them so).
  void Add(std::uint32_t pool, std::uint64_t number, std::uint64_t time_ns, std::int64_t delta);
  // Counts the last instant of every pool (after the last Add).
  void Settle();
  // Merges neighbouring buckets of every pool: each one twice as wide, and
  // half as many changes shown.
  void Widen();
  // Pool `pool` held `total` more when the plan began (the page begins with
  // what was live at --since).
  void Begin(std::uint32_t pool, std::int64_t total);
  // Allocation failure `number` (1 for the capture's first) was booked after `changes` changes.
  void AddFailure(std::uint64_t changes, std::uint64_t number) { failures_.emplace_back(changes, number); }

  std::uint64_t changes() const { return changes_; }
  std::uint64_t bucket_ns() const { return width_ns_; }
  std::size_t pools() const { return pools_.size(); }

  // The changes of `pool` at which its series are shown (each bucket's
  // lowest, highest and last), in order.
  std::vector<std::uint64_t> Shown(std::uint32_t pool) const;
  // The detail windows, in order, none overlapping, taken in this order
  // while their changes stay within `budget` and there are at most
  // kMaxWindows: the end's last budget/4 changes; the first and the last
  // failure, budget/16 before each (and a few after); each pool's peak
  // (largest first) with budget/16 on either side; the other failures.
  // `pool_names` names the pools for `why`.
  std::vector<DetailWindow> Windows(std::uint64_t budget, const std::vector<std::string>& pool_names) const;

  static constexpr std::size_t kMaxWindows = 48;

 private:
  // One bucket of one pool: its lowest and highest total after a change in
  // it, which changes first made them, and its last change (kNone: none).
  struct Bucket {
    std::int64_t low = 0;
    std::int64_t high = 0;
    std::uint64_t low_change = kNone;
    std::uint64_t high_change = kNone;
    std::uint64_t last_change = kNone;
  };
  struct Pool {
    std::int64_t total = 0;
    std::int64_t peak = 0;
    std::uint64_t peak_change = kNone;  // the first change that left it at its peak
    std::vector<Bucket> buckets;
    std::uint64_t last_change = kNone;  // its last change, not yet counted in its bucket
    std::uint64_t last_time_ns = 0;
  };
  // Counts `p`'s last change (the last of its instant) in its bucket and peak.
  void Settle(Pool& p);

  std::vector<Pool> pools_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> failures_;  // (changes before it, its number)
  std::uint64_t changes_ = 0;
  std::uint64_t width_ns_ = 1;
};

}  // namespace memledger
