// stack_table.h — interning of captured stacks in the tracked process: one
// small id per distinct stack, so an event carries 4 bytes of stack and each
// stack's frames cross the ring once (a STACK record, sent by whoever
// interned it first).
//
// An open-addressing table of (stack hash, id) in anonymous memory, paged in
// as it fills. Lock-free: a new stack claims its slot with one CAS and takes
// the next id; a thread that finds a slot being filled waits for its id (a few
// instructions away). Stacks are told apart by a 64-bit hash of their frames:
// two different stacks colliding would share an id (odds ~n²/2⁶⁵; 1 in 10⁸ at
// 10⁵ stacks). When the table is full (or a probe runs long) a stack gets id
// 0: no stack.
//
// Thread-safety: any thread. The frames of each id are kept (under a mutex,
// on the new-stack path only) so that a handover can send every stack again.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace memledger {

class StackTable {
 public:
  // Room for 2^capacity_log2 stacks; nullptr when its memory cannot be
  // mapped (no exception: callers are behind the C ABI).
  static std::unique_ptr<StackTable> Create(unsigned capacity_log2);
  ~StackTable();
  StackTable(const StackTable&) = delete;
  StackTable& operator=(const StackTable&) = delete;

  struct Interned {
    std::uint32_t id;  // 0: not interned (table full)
    bool is_new;       // this call made the id: its caller sends the STACK record
  };
  Interned Intern(std::span<const std::uint64_t> frames);

  // Every interned stack, by id (index 0 unused; an id whose frames are not
  // stored yet is empty).
  std::vector<std::vector<std::uint64_t>> Stacks() const;

 private:
  struct Slot {
    std::atomic<std::uint64_t> hash;  // 0: empty
    std::atomic<std::uint32_t> id;    // 0: being filled
    std::uint32_t unused;
  };
  static_assert(sizeof(Slot) == 16);
  StackTable(Slot* slots, std::uint64_t mask, std::size_t bytes) : slots_(slots), mask_(mask), bytes_(bytes) {}

  Slot* slots_;
  std::uint64_t mask_;
  std::size_t bytes_;
  std::atomic<std::uint32_t> next_id_{1};
  mutable std::mutex frames_mutex_;
  std::vector<std::vector<std::uint64_t>> frames_;  // by id; guarded by frames_mutex_
};

}  // namespace memledger
