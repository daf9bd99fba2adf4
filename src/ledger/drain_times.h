// drain_times.h — the times a consumer gives the records it drains. The hook
// reads no clock (issue 18): a record gets its time when a consumer takes it.
//
// Each batch is spread over the interval since the consumer last looked at
// the stream: a batch of n slots drained at T (CLOCK_MONOTONIC, read after
// the drain), whose previous look (the previous batch, or a drain that found
// nothing) was at P, gives the record whose header is its slot k (0-based)
//
//   time = P + (T - P) * (k + 1) / n
//
// so the records of a batch get distinct times, increasing with their
// sequence numbers, in (P, T], the batch's last slot exactly at T.
//
// Error bound. The hook ran before T (it published the record before the
// drain). Unless the record waited in the ring across a look (a backlog of
// more than one batch, or a slot claimed but not yet published when the
// consumer looked), it ran after P too. So a record's time is off from its
// hook's by less than T - P — the gap between two looks: microseconds under
// load, at most the idle sleep (1 ms) plus a batch's applying when idle —
// and a record that waited is off by less than its wait, T - hook, as when
// a batch shared T. Times never go backwards within a stream (invariant:
// each time given > the previous one). When a batch holds more slots than
// nanoseconds passed since P (never seen: producers need ~10 ns a record),
// its times go 1 ns apart and may pass T by at most n ns.
//
// A first batch with no look before it (a stream whose consumer never
// looked) ends at T, 1 ns apart. A batch of one record gets T: the legacy
// socket books each record as it is read (server/legacy_session.cc).
//
// Cost: the consumer reads the clock once per batch and once per look that
// finds nothing (~21 ns; at most one a ms per idle ring), and a multiply and
// a divide per record. The producer's hot path reads no clock.
//
// Not thread-safe: the one consumer of the stream.
#pragma once

#include <cstddef>
#include <cstdint>

namespace memledger {

class DrainTimes {
 public:
  // The consumer looked at the stream at `now_ns` and took nothing.
  void Looked(std::uint64_t now_ns);
  // A batch of `slots` slots taken at `drained_at_ns`; TimeOf gives its times.
  void BeginBatch(std::uint64_t drained_at_ns, std::size_t slots);
  // The time of the record whose header is the batch's slot `slot`; called
  // in increasing `slot` order, at most once per slot.
  std::uint64_t TimeOf(std::size_t slot);

 private:
  std::uint64_t looked_ns_ = 0;     // the latest look or batch; 0 before any
  std::uint64_t last_ns_ = 0;       // the latest time given, or the batch's P if later
  std::uint64_t from_ns_ = 0;       // the batch's P (exclusive)
  std::uint64_t step_ns_ = 0;       // (T - P) / slots
  std::uint64_t remainder_ns_ = 0;  // (T - P) % slots
  std::size_t slots_ = 1;
};

}  // namespace memledger
