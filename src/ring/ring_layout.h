// ring_layout.h — the shared-memory layout of the event ring: one header page
// followed by a power-of-two array of 64-byte slots, in one memfd.
//
// Who writes what (producers: the tracked process's hooked threads; consumer:
// the embedded consumer thread or the server):
//   head               producers (fetch_add to claim sequence numbers)
//   slot[s & mask]     the producer that claimed s: payload, then seq (release)
//   tail               the owning consumer, by CAS, after copying whole
//                      records out: its epoch in the top 16 bits, the next
//                      seq to drain in the low 48 (ring_ownership.h)
//   processed          consumer (release), after the ledger applied them;
//                      processed_futex wakes the flush_waiters
//   space_futex        consumer bumps it to wake producers waiting for space
//   doorbell           producers bump it to wake a sleeping consumer
//   dropped            producers, under MEMLEDGER_ON_FULL=drop
// Sequence numbers start at 1; a slot whose seq word equals s holds record s.
// Either side may be hostile to the other: every value read from here is
// copied into a local and validated before use; capacity and policy are read
// once at attach time and never again.
#pragma once

#include <atomic>
#include <cstdint>

#include "event/event.h"

namespace memledger {

inline constexpr std::uint64_t kRingMagic = 0x474e49524c4d4c4dULL;  // "MLMLRING"
inline constexpr std::uint32_t kRingLayoutVersion = 2;  // 2: the owner's epoch in tail
inline constexpr std::size_t kRingHeaderBytes = 4096;
inline constexpr std::uint64_t kMinRingSlots = 1024;       // > 2 x the largest record
inline constexpr std::uint64_t kMaxRingSlots = 1ULL << 26;  // 4 GiB of slots

enum class OnFull : std::uint32_t { kBlock = 0, kDrop = 1 };

struct RingHeader {
  std::uint64_t magic;
  std::uint32_t layout_version;
  std::uint32_t slot_bytes;
  std::uint64_t capacity;  // slots; a power of two
  std::uint32_t on_full;   // OnFull
  std::uint32_t producer_pid;

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
};
static_assert(sizeof(RingHeader) <= kRingHeaderBytes);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// The slot as it lives in shared memory: the first word is the publish word.
struct RingSlot {
  std::atomic<std::uint64_t> seq;
  unsigned char body[kSlotBytes - sizeof(std::uint64_t)];
};
static_assert(sizeof(RingSlot) == sizeof(Event));
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

inline constexpr std::size_t RingBytes(std::uint64_t capacity) { return kRingHeaderBytes + capacity * kSlotBytes; }

// The tail word: who owns the ring (an epoch) and how far it drained. 2^48
// sequence numbers per ring: over four months at 20 M records a second.
inline constexpr std::uint64_t kTailSeqMask = (std::uint64_t{1} << 48) - 1;
constexpr std::uint64_t TailSeq(std::uint64_t tail) { return tail & kTailSeqMask; }
constexpr std::uint16_t TailEpoch(std::uint64_t tail) { return static_cast<std::uint16_t>(tail >> 48); }
constexpr std::uint64_t TailWord(std::uint16_t epoch, std::uint64_t seq) {
  return std::uint64_t{epoch} << 48 | (seq & kTailSeqMask);
}

}  // namespace memledger
