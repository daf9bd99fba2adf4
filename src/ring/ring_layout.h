// ring_layout.h — the shared-memory layout of the event ring: one header page,
// then kRingLanes lanes (each a power-of-two array of lane_capacity 64-byte
// slots, indexed by the lane's own position), then the shared slots (a
// power-of-two array of capacity 64-byte slots indexed by sequence number),
// in one memfd.
//
// Every record gets its sequence number from `head`, so the order of records
// is one order however they travel. A thread that owns a lane (event_ring.h)
// writes its one-slot records into it: its slots are written by no other
// producer, so their cache lines move only between it and the consumer. The
// shared slots take what no lane may: records with continuation slots,
// threads that found every lane taken, hooks run inside a hook (a signal
// handler), the process's end record.
//
// Who writes what (producers: the tracked process's hooked threads; consumer:
// the embedded consumer thread or the server):
//   head               producers (fetch_add to claim sequence numbers)
//   slot[s & mask]     the producer that claimed s: payload, then seq (release)
//   lane slot[p & lane_mask]  the lane's owner, its p-th record: the record
//                      with its seq in the time_ns field, then p (release)
//   tail               the owning consumer, by CAS, after copying whole
//                      records out: its epoch in the top 16 bits, the next
//                      seq to drain in the low 48 (ring_ownership.h)
//   lanes[l].next      the owning consumer (release, only forward): every
//                      record of lane l below it was drained and committed
//   processed          consumer (release), after the ledger applied them;
//                      processed_futex wakes the flush_waiters
//   space_futex        consumer bumps it to wake producers waiting for space
//   doorbell           producers bump it to wake a sleeping consumer
//   dropped            producers, under MEMLEDGER_ON_FULL=drop
// Sequence numbers and lane positions start at 1 (0: never written); a
// shared slot whose seq word equals s holds record s, a lane slot whose word
// equals p holds the lane's p-th record.
// Either side may be hostile to the other: every value read from here is
// copied into a local and validated before use; capacity and policy are read
// once at attach time and never again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "event/event.h"

namespace memledger {

inline constexpr std::uint64_t kRingMagic = 0x474e49524c4d4c4dULL;  // "MLMLRING"
inline constexpr std::uint32_t kRingLayoutVersion = 3;  // 2: the owner's epoch in tail; 3: lanes
inline constexpr std::size_t kRingHeaderBytes = 4096;
inline constexpr std::uint64_t kMinRingSlots = 1024;       // > 2 x the largest record
inline constexpr std::uint64_t kMaxRingSlots = 1ULL << 26;  // 4 GiB of slots

inline constexpr std::uint32_t kRingLanes = 8;
inline constexpr std::uint64_t kMinLaneSlots = 128;
// Slots of one lane unless the ring's maker says: a kRingLanes-th of the
// shared slots, so that the lanes together never hold more records than the
// shared slots' window of sequence numbers (a shared record waits for its
// seq to be within `capacity` of the consumer's).
inline constexpr std::uint64_t DefaultLaneCapacity(std::uint64_t capacity) { return capacity / kRingLanes; }

// How far the consumer drained one lane: on a cache line of its own.
struct alignas(64) LaneTail {
  std::atomic<std::uint64_t> next;
};

enum class OnFull : std::uint32_t { kBlock = 0, kDrop = 1 };

struct RingHeader {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t slot_bytes;
  std::uint64_t capacity;  // slots; a power of two
  std::uint32_t on_full;   // OnFull
  std::uint32_t producer_pid;
  std::uint64_t lane_capacity;  // slots of each lane; a power of two, at most capacity

  alignas(64) std::atomic<std::uint64_t> head;       // next sequence number to claim
  alignas(64) std::atomic<std::uint64_t> tail;       // owner epoch << 48 | next sequence number to drain
  std::atomic<std::uint32_t> space_futex;
  std::atomic<std::uint32_t> producers_waiting;
  alignas(64) std::atomic<std::uint64_t> processed;  // every seq below it is in the ledger
  std::atomic<std::uint32_t> processed_futex;
  std::atomic<std::uint32_t> flush_waiters;         // threads inside memledger_flush()
  std::atomic<std::uint32_t> consumer_sleeping;
  std::atomic<std::uint32_t> doorbell;
  alignas(64) std::atomic<std::uint64_t> dropped;    // records refused under OnFull::kDrop
  LaneTail lanes[kRingLanes];
};
static_assert(sizeof(RingHeader) <= kRingHeaderBytes);
// Where peers that build a header by hand write (tests/tools/sealed_ring_test.py).
static_assert(offsetof(RingHeader, lane_capacity) == 32 && offsetof(RingHeader, head) == 64 &&
              offsetof(RingHeader, tail) == 128 && offsetof(RingHeader, processed) == 192 &&
              offsetof(RingHeader, lanes) == 320);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// The slot as it lives in shared memory: the first word is the publish word.
struct RingSlot {
  std::atomic<std::uint64_t> seq;
  unsigned char body[kSlotBytes - sizeof(std::uint64_t)];
};
static_assert(sizeof(RingSlot) == sizeof(Event));
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

inline constexpr std::size_t RingBytes(std::uint64_t capacity, std::uint64_t lane_capacity) {
  return kRingHeaderBytes + (capacity + kRingLanes * lane_capacity) * kSlotBytes;
}
inline constexpr std::size_t RingBytes(std::uint64_t capacity) { return RingBytes(capacity, DefaultLaneCapacity(capacity)); }

// The tail word: who owns the ring (an epoch) and how far it drained. 2^48
// sequence numbers per ring: over four months at 20 M records a second.
inline constexpr std::uint64_t kTailSeqMask = (std::uint64_t{1} << 48) - 1;
constexpr std::uint64_t TailSeq(std::uint64_t tail) { return tail & kTailSeqMask; }
constexpr std::uint16_t TailEpoch(std::uint64_t tail) { return static_cast<std::uint16_t>(tail >> 48); }
constexpr std::uint64_t TailWord(std::uint16_t epoch, std::uint64_t seq) {
  return std::uint64_t{epoch} << 48 | (seq & kTailSeqMask);
}

}  // namespace memledger
