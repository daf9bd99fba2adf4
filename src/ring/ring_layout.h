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
#include <cstring>

#include "event/event.h"

namespace memledger {

inline constexpr std::uint64_t kRingMagic = 0x474e49524c4d4c4dULL;  // "MLMLRING"
inline constexpr std::uint32_t kRingLayoutVersion = 3;  // 2: the owner's epoch in tail; 3: lanes
inline constexpr std::size_t kRingHeaderBytes = 4096;
inline constexpr std::uint64_t kMinRingSlots = 1024;       // > 2 x the largest record
inline constexpr std::uint64_t kMaxRingSlots = 1ULL << 26;  // 4 GiB of slots

inline constexpr std::uint32_t kRingLanes = 8;
inline constexpr std::uint64_t kMinLaneSlots = 128;
// Slots of one lane: a kRingLanes-th of the shared slots (at most that in a
// ring another process made), so that the lanes together never hold more
// records than the shared slots' window of sequence numbers: a shared record
// waits for its seq to be within `capacity` of the consumer's, and records
// in lanes must not keep it waiting (or, under the drop policy, refused)
// while the shared slots are empty.
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
  std::uint64_t lane_capacity;  // slots of each lane; a power of two, at most DefaultLaneCapacity(capacity)

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

// The slot as it lives in shared memory: the first word is the publish word,
// the other seven the record's. Every word is read and written as a relaxed
// atomic (the publish word's release and acquire order them): a consumer
// that lost the ring may still be reading a slot that a producer reuses
// (the batch is dropped: its commit fails), and a hostile peer may write
// any word at any time; neither is a data race then.
inline constexpr std::size_t kSlotWords = kSlotBytes / sizeof(std::uint64_t);
struct RingSlot {
  std::atomic<std::uint64_t> seq;
  std::atomic<std::uint64_t> body[kSlotWords - 1];
};
static_assert(sizeof(RingSlot) == sizeof(Event));
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// The record's words after its first (seq) into `slot`'s body, word k + 1
// into body[k], for k from `first` on.
inline void StoreSlotWords(RingSlot& slot, const Event& event, std::size_t first = 0) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(&event);
  for (std::size_t k = first; k < kSlotWords - 1; ++k) {
    std::uint64_t word;
    std::memcpy(&word, bytes + (k + 1) * sizeof(word), sizeof(word));
    slot.body[k].store(word, std::memory_order_relaxed);
  }
}
// The whole slot, publish word included, into `out`, word by word (straight
// into `out`: a record built in a buffer of words and copied would make its
// readers wait for the words' stores). The loads are acquires so that a
// later look at the publish word (did a producer reuse the slot meanwhile?)
// comes after all of them (a plain load on x86-64).
inline void LoadSlot(const RingSlot& slot, Event& out) {
  auto* bytes = reinterpret_cast<unsigned char*>(&out);
  const std::uint64_t seq = slot.seq.load(std::memory_order_acquire);
  std::memcpy(bytes, &seq, sizeof(seq));
  for (std::size_t k = 0; k < kSlotWords - 1; ++k) {
    const std::uint64_t word = slot.body[k].load(std::memory_order_acquire);
    std::memcpy(bytes + (k + 1) * sizeof(word), &word, sizeof(word));
  }
}

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
