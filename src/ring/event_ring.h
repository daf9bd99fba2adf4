// event_ring.h — the memfd-backed multi-producer, single-consumer event ring.
//
// EventRing owns one mapping of the ring (ring_layout.h). A process that
// produces and a process (or thread) that consumes each hold their own
// EventRing over the same memfd.
//
// Producer side (thread-safe, lock-free, never allocates):
//   seq = ring.Claim(n);           // n consecutive sequence numbers, or 0: dropped
//   ring.Publish(seq + i, event);  // copies the record, then a release store of seq
// Every claimed seq must be published, in any order; the consumer reads them in
// sequence. A full ring blocks the producer (bounded spin, then futex wait) under
// OnFull::kBlock — lossless — or, under OnFull::kDrop, Claim refuses the record,
// counts it in `dropped` and returns 0.
//
// Consumer side: see RingConsumer (ring_consumer.h). One consumer per ring.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "ring/ring_fault_guard.h"
#include "ring/ring_layout.h"

namespace memledger {

// Per producer thread: below `limit`, slots of ring `ring_id` are known free.
struct RingProducerCache {
  std::uint64_t ring_id;
  std::uint64_t limit;
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

  // Creates a new ring in a fresh memfd. Returns nullptr and sets *error on failure.
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
  std::uint64_t Claim(std::uint32_t n) {
    // The common case: one relaxed fetch_add and a compare with this thread's
    // cached limit, below which slots are known to be free.
    if (policy_ == OnFull::kDrop) return ClaimOrDrop(n);
    const std::uint64_t seq = header_->head.fetch_add(n, std::memory_order_relaxed);
    if (seq + n > CachedLimit()) [[unlikely]]
      WaitForSpace(seq + n);
    return seq;
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
    std::memcpy(slot.body, reinterpret_cast<const unsigned char*>(&event) + sizeof(std::uint64_t), sizeof(slot.body));
    // Release: pairs with the consumer's acquire load of the seq word.
    slot.seq.store(seq, std::memory_order_release);
  }

  // --- both sides ---
  RingHeader& header() { return *header_; }
  RingSlot& slot_at(std::uint64_t seq) { return slots_[seq & mask_]; }
  std::uint64_t capacity() const { return capacity_; }
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
  EventRing(int fd, void* base, std::uint64_t capacity, OnFull policy, int guard_entry);
  std::uint64_t CachedLimit() const {
    const RingProducerCache& cache = tls_ring_producer_cache;
    return cache.ring_id == id_ ? cache.limit : 0;
  }
  // Under kDrop: claims n slots only if they are free now (CAS), else counts a drop and returns 0.
  std::uint64_t ClaimOrDrop(std::uint32_t n) {
    const std::uint64_t seq = TryClaim(n);
    if (seq == 0) CountDrop();
    return seq;
  }
  void CountDrop();  // under kDrop: one record refused
  void WaitForSpace(std::uint64_t end);

  int fd_;
  RingHeader* header_;
  RingSlot* slots_;
  std::uint64_t capacity_;  // copied at attach; never re-read from shared memory
  std::uint64_t mask_;
  OnFull policy_;
  std::uint64_t id_;        // tells this ring's cached limits from another's
  int guard_entry_;         // ring_fault_guard.h; -1: not guarded
  std::atomic<std::uint32_t> space_waiters_{0};
  std::atomic<int> space_wait_notifier_{-1};
};

}  // namespace memledger
