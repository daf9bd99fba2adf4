// event_ring.h — the memfd-backed multi-producer, single-consumer event ring.
//
// EventRing owns one mapping of the ring (ring_layout.h). A process that
// produces and a process (or thread) that consumes each hold their own
// EventRing over the same memfd.
//
// Producer side (thread-safe, lock-free, never allocates):
//   seq = ring.Put(event);         // a one-slot record: its seq, or 0: dropped
//   seq = ring.Claim(n);           // n consecutive shared slots, or 0: dropped
//   ring.Publish(seq + i, event);  // copies the record, then a release store of seq
// Every claimed seq must be published, in any order; the consumer reads them in
// sequence. A seq is claimed only once its slot is free, so no producer waits
// holding one. Full shared slots block the producer (bounded spin, then futex
// wait) under OnFull::kBlock — lossless — or, under OnFull::kDrop, the record
// is refused, counted in `dropped`, and 0 returned.
//
// Lanes (ring_layout.h). Put writes into the calling thread's own lane: the
// first Put of a thread takes a free lane of this ring for it (in this
// process: which thread owns which lane is not in shared memory) and the
// thread gives it back when it exits. A lane has one writer, so the lines a
// hook writes move only between its core and the consumer's, and its write
// prefetch (below) is for its own next slot, which no other thread takes. Put
// claims the seq after it knows its lane has room. Put goes to the shared slots
// instead when the thread's lane is full (a lane is an eighth of the shared
// slots: a thread the consumer falls behind has the whole ring to fill before
// it waits or drops, as it did before lanes), when the thread has no lane
// (every lane taken), and when it runs inside another Put of the same thread
// (a signal handler's hook): the lane's position is the outer Put's until it
// returns.
//
// Consumer side: see RingConsumer (ring_consumer.h). One consumer per ring.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "ring/ring_fault_guard.h"
#include "ring/ring_layout.h"

namespace memledger {

// Per producer thread: below `limit`, shared slots of ring `ring_id` are
// known free; the thread owns lane `lane` of ring `lane_ring` (0: none),
// whose next position is `lane_next` (the lane's own copy is written back
// when the thread gives the lane back) and whose positions below
// `lane_limit` are known free. `in_put`: a Put of this
// thread is writing its lane (a hook inside it must not). `no_lane_ring`:
// the ring whose lanes were all taken when this thread last looked, and
// `puts_before_looking` how many more Puts go shared before it looks again.
struct RingProducerCache {
  std::uint64_t ring_id;
  std::uint64_t limit;
  std::uint64_t lane_ring;
  std::uint64_t lane_next;
  std::uint64_t lane_limit;
  std::uint64_t no_lane_ring;
  std::uint32_t lane;
  std::uint32_t puts_before_looking;
  bool in_put;
};
extern constinit thread_local RingProducerCache tls_ring_producer_cache
    __attribute__((tls_model("initial-exec")));

// True when the CPU has PREFETCHW (x86-64: CPUID 0x80000001, ECX bit 8),
// read once when the library loads; false until then and elsewhere.
extern const bool g_cpu_has_prefetchw;

// Asks for the line at `p` in exclusive state, ready to be written. The
// compiler's write prefetch is a read prefetch on x86-64 unless the build
// targets a CPU with PREFETCHW, and a line fetched for reading still waits
// for its ownership when it is written: so PREFETCHW where the CPU has it.
inline void PrefetchForWrite(const void* p) {
#if defined(__x86_64__)
  if (g_cpu_has_prefetchw) {
    asm volatile("prefetchw %0" : : "m"(*static_cast<const char*>(p)));
    return;
  }
#endif
  __builtin_prefetch(p, 1, 3);
}

class EventRing {
 public:
  static constexpr std::uint64_t kPrefetchAhead = 32;

  // Creates a new ring in a fresh memfd: `capacity` shared slots, and lanes
  // of DefaultLaneCapacity. Returns nullptr and sets *error on failure.
  static std::unique_ptr<EventRing> Create(std::uint64_t capacity, OnFull policy, std::string* error);
  // Maps an existing ring's memfd (dups the fd; the caller keeps its own) and
  // validates it: a memfd sealed against shrinking and growing, with a valid
  // header. Returns nullptr and sets *error when it is not one. With the fault
  // guard installed (ring_fault_guard.h), the mapping is guarded.
  static std::unique_ptr<EventRing> Attach(int fd, std::string* error);
  ~EventRing();
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  // --- producer side (any thread) ---
  // Publishes a one-slot record (no payload) in the calling thread's lane, or
  // in a shared slot (above); its seq, or 0 when a full ring dropped it. Its
  // time is not carried (0: the consumer gives times as it drains).
  std::uint64_t Put(const Event& event) {
    RingProducerCache& cache = tls_ring_producer_cache;
    if (cache.lane_ring != id_ || cache.in_put) [[unlikely]]
      return PutElsewhere(event);
    cache.in_put = true;
    // A signal handler's hook, from here on, sees in_put and goes shared.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const std::uint64_t position = cache.lane_next;
    std::uint64_t seq;
    if (position < cache.lane_limit || LaneHasSpace(cache, position)) [[likely]] {
      seq = header_->head.fetch_add(1, std::memory_order_relaxed);
      cache.lane_next = position + 1;
      PublishInLane(cache.lane, position, seq, event);
    } else {
      seq = PutShared(event);
    }
    std::atomic_signal_fence(std::memory_order_seq_cst);
    cache.in_put = false;
    return seq;
  }

  // n consecutive shared slots, claimed only once they are free: a producer
  // never waits holding a seq (a signal handler's hook inside that wait
  // would wait for that seq's slot itself, for ever). Full: under kBlock it
  // waits for room and tries again; under kDrop it counts a drop, returns 0.
  std::uint64_t Claim(std::uint32_t n) {
    // The common case: a compare with this thread's cached limit, below
    // which slots are known to be free, and one CAS.
    std::uint64_t head = header_->head.load(std::memory_order_relaxed);
    if (head + n <= CachedLimit() && header_->head.compare_exchange_strong(head, head + n, std::memory_order_relaxed))
        [[likely]] {
      return head;
    }
    return ClaimWhenFullOrRaced(n);
  }
  // Claims n slots only if they are free now, whatever the policy; 0 (and
  // nothing counted) when they are not. For the one record that must not be
  // dropped (the process's end, which carries the drop count): its caller
  // retries while the consumer drains.
  std::uint64_t TryClaim(std::uint32_t n);
  // Writes `event` (all but its seq field) into slot `seq` and publishes it.
  void Publish(std::uint64_t seq, const Event& event) {
    RingSlot& slot = slots_[seq & mask_];
    // Ask for a slot a little ahead in exclusive state now, so a later hook's
    // stores do not wait for it (the consumer read it last, on another core).
    PrefetchForWrite(&slots_[(seq + kPrefetchAhead) & mask_]);
    StoreSlotWords(slot, event);
    // Release: pairs with the consumer's acquire load of the seq word.
    slot.seq.store(seq, std::memory_order_release);
  }

  // --- both sides ---
  RingHeader& header() { return *header_; }
  RingSlot& slot_at(std::uint64_t seq) { return slots_[seq & mask_]; }
  // Slot of lane `lane` for its record at `position`.
  RingSlot& lane_slot_at(std::uint32_t lane, std::uint64_t position) {
    return lane_slots_[lane * lane_capacity_ + (position & lane_mask_)];
  }
  std::uint64_t capacity() const { return capacity_; }  // shared slots
  std::uint64_t lane_capacity() const { return lane_capacity_; }
  OnFull policy() const { return policy_; }
  int fd() const { return fd_; }
  // True once a SIGBUS hit this (attached, guarded) mapping: it reads zeros
  // now, and whoever drains it should give it up.
  bool damaged() const { return GuardedMappingDamaged(guard_entry_); }

  // --- this process's producers waiting for space (not shared memory) ---
  // Threads of this process inside a full-ring wait right now.
  std::uint32_t space_waiters() const { return space_waiters_.load(std::memory_order_acquire); }
  // An eventfd a producer signals when it goes to sleep waiting for space
  // (-1: none): the client's watcher wakes to see whether the consumer stalls.
  void set_space_wait_notifier(int eventfd) { space_wait_notifier_.store(eventfd, std::memory_order_release); }

 private:
  EventRing(int fd, void* base, std::uint64_t capacity, std::uint64_t lane_capacity, OnFull policy, int guard_entry);
  std::uint64_t CachedLimit() const {
    const RingProducerCache& cache = tls_ring_producer_cache;
    return cache.ring_id == id_ ? cache.limit : 0;
  }
  // A lane of this ring in this process: taken by one thread at a time.
  // `next` and `populated` are the owner's alone; the next owner reads them
  // after the taking CAS of `owned` (acquire) pairs with the release that
  // gave it back. While a thread owns the lane, its next position is in the
  // thread's RingProducerCache, and `next` is where it was taken from.
  struct alignas(64) Lane {
    std::atomic<bool> owned{false};
    std::uint64_t next = 1;  // the lane's next position, while no thread owns it
    bool populated = false;  // its pages faulted in (by an owner)
  };

  // Put's other paths: takes a lane for the thread, or puts in a shared slot.
  std::uint64_t PutElsewhere(const Event& event);
  // Takes a free lane for the calling thread (true), or finds none (false:
  // it looks again only after kPutsBeforeLookingAgain more Puts).
  bool TakeLane(RingProducerCache& cache);
  // A pthread key's destructor: the exiting thread's lane (the key's value:
  // its ring's id and index) goes back to its ring, if that still exists.
  static void GiveBackLaneAtExit(void* value);
  // Writes `event` with `seq` into the lane's slot at `position` and publishes it.
  void PublishInLane(std::uint32_t lane, std::uint64_t position, std::uint64_t seq, const Event& event) {
    RingSlot& slot = lane_slot_at(lane, position);
    PrefetchForWrite(&lane_slot_at(lane, position + kPrefetchAhead));
    // The time field (body[0]) carries the seq: the consumer gives times when it drains.
    static_assert(offsetof(Event, time_ns) == sizeof(std::uint64_t));
    slot.body[0].store(seq, std::memory_order_relaxed);
    StoreSlotWords(slot, event, 1);
    // Release: pairs with the consumer's acquire load of the position word.
    slot.seq.store(position, std::memory_order_release);
  }
  // Whether slots up to `end` are free, the consumer's tail being `tail`
  // (false: full, and the consumer rung). When they are, `limit` becomes the
  // position below which this producer knows them free: the half-way mark
  // while less than half are taken; past it, an eighth of the slots further
  // (at most to the tail + capacity), so a producer looks again — and rings
  // the doorbell — now and then while the ring backs up, not at every record.
  bool RoomFor(std::uint64_t end, std::uint64_t tail, std::uint64_t capacity, std::uint64_t& limit);
  // Past the owner's cached lane limit at `position`: true, with the limit
  // moved on, when the lane has room there; false when it is full.
  bool LaneHasSpace(RingProducerCache& cache, std::uint64_t position);
  // A one-slot record in a shared slot: its seq, or 0 when dropped. Without
  // its time, as in a lane (whose slot carries the seq there).
  std::uint64_t PutShared(Event event) {
    const std::uint64_t seq = Claim(1);
    event.time_ns = 0;
    if (seq != 0) Publish(seq, event);
    return seq;
  }

  // Claim's other path: past the cached limit, or another claim moved the head first.
  std::uint64_t ClaimWhenFullOrRaced(std::uint32_t n);
  void CountDrop();  // under kDrop: one record refused
  void WaitForSpace(std::uint64_t end);

  int fd_;
  RingHeader* header_;
  RingSlot* lane_slots_;    // kRingLanes lanes of lane_capacity_ slots
  RingSlot* slots_;         // the shared slots
  std::uint64_t capacity_;  // copied at attach; never re-read from shared memory
  std::uint64_t mask_;
  std::uint64_t lane_capacity_;
  std::uint64_t lane_mask_;
  OnFull policy_;
  std::uint64_t id_;        // tells this ring's cached limits from another's
  int guard_entry_;         // ring_fault_guard.h; -1: not guarded
  std::atomic<std::uint32_t> space_waiters_{0};
  std::atomic<int> space_wait_notifier_{-1};
  Lane lanes_[kRingLanes];
};

}  // namespace memledger
