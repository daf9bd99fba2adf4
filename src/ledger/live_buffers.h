// live_buffers.h — the live table: every buffer that is allocated and not yet
// freed, keyed by (process, device, class, memory type, identity), with an
// address index per (process, device, memory type, class) to find overlaps,
// and a bounded memory of recent frees to tell a double free from an unknown
// one.
//
// Identity rule: an identity (the buffer id, or the address when the id is 0)
// names one buffer within (process, device, class, memory type). Each memory
// type is its own address space (on Tenstorrent, DRAM and L1 both start at 0),
// so a DRAM and an L1 buffer at one address are two buffers. The type is part
// of the key when an id is given too: one rule for both, and an address index
// finds its entries' keys from its own type. A free carries its type and
// matches a buffer of that type first; only when that type holds no live
// buffer of its identity (and did not free one lately) does it match one of
// another type (Ledger::OnFree), as every free did before identities were per
// type: a free whose type is wrong or missing (a legacy tracker's FREE leaves
// its buffer type 0) still finds its buffer when nothing else has its identity.
// The type is the process's own number (memledger_mem_type, or a pool id it
// registered), not the ledger-wide type index.
//
// Not thread-safe: owned by one Ledger. Memory: one LiveKey + LiveBuffer (64 bytes) per
// live buffer in the table, plus one address-index entry.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/accounting.h"

namespace memledger {

struct LiveKey {
  std::uint32_t process;
  std::uint16_t device;
  BufferClass cls;
  std::uint8_t type;       // the process's own memory type (see the identity rule above)
  std::uint64_t identity;  // the buffer id, or the address when the id is 0
  bool operator==(const LiveKey&) const = default;
  std::uint64_t where() const {
    return (std::uint64_t{process} << 32) | (std::uint64_t{device} << 16) | (std::uint64_t{type} << 8) |
           static_cast<std::uint8_t>(cls);
  }
};
static_assert(sizeof(LiveKey) == 16);

// A cheap, well-mixed hash of a LiveKey (the live table's hottest operation):
// the 64-bit finalizer of MurmurHash3 over identity and place.
struct LiveKeyHash {
  std::size_t operator()(const LiveKey& k) const {
    std::uint64_t x = k.identity ^ (k.where() * 0x9e3779b97f4a7c15ULL);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return static_cast<std::size_t>(x);
  }
};

struct LiveBuffer {
  std::uint64_t address;
  std::uint64_t size;
  std::uint64_t seq;       // of its ALLOC
  std::uint64_t time_ns;   // of its ALLOC
  std::uint32_t stack;
  std::uint32_t tag;
  std::uint32_t first_overlap_after;   // events from this ALLOC to the first that overlapped it (saturating)
  std::uint16_t type;                  // ledger-wide type index: its process's mapping of its key's type
  std::uint16_t overlapped_by : 14;    // newer buffers allocated over this one (saturating at kMaxOverlappedBy)
  std::uint16_t overlapped_older : 1;  // it was allocated over a live buffer
  // It met another live buffer when its address index was built anew, its
  // overlaps having not counted until then (Ledger::Reindex): no anomaly.
  std::uint16_t met_at_reindex : 1;
  static constexpr std::uint16_t kMaxOverlappedBy = 0x3fff;
  // Its range intersects another live one's: its address-index entry goes eagerly.
  bool in_overlap() const { return overlapped_by != 0 || overlapped_older != 0 || met_at_reindex != 0; }
};
static_assert(sizeof(LiveBuffer) == 48, "with its key, one cache line per live buffer");

using LiveTable = absl::flat_hash_map<LiveKey, LiveBuffer, LiveKeyHash>;

// A buffer freed lately, as a double free names it: its identity in its
// memory type, and what its allocation and its free were. One cache line.
struct alignas(64) FreedBuffer {
  LiveKey key;
  std::uint64_t address;
  std::uint64_t size;
  std::uint64_t alloc_seq;
  std::uint64_t free_seq;
  std::uint32_t alloc_stack;
  std::uint32_t free_stack;
  std::uint32_t tag;
  std::uint16_t type;  // ledger-wide
};
static_assert(sizeof(FreedBuffer) == 64);

// Buffers freed lately, each in its memory type. A free of one of these is a
// double free; a free of an identity never seen is unknown. Direct-mapped: a
// later free whose key hashes to the same slot evicts an older one, so a
// double free long after the first may be reported as unknown_free. O(1), no
// allocation: a free writes one cache line (of 2^capacity_log2).
class RecentFrees {
 public:
  explicit RecentFrees(std::size_t capacity_log2);
  // `key` (whose LiveKeyHash is `hash`, which the caller has already
  // computed) was freed by the event of `free_seq` and `free_stack`; it was `buffer`.
  void Remember(const LiveKey& key, std::size_t hash, const LiveBuffer& buffer, std::uint64_t free_seq,
                std::uint32_t free_stack) {
    slots_[hash & (slots_.size() - 1)] = FreedBuffer{key,          buffer.address, buffer.size, buffer.seq, free_seq,
                                                     buffer.stack, free_stack,     buffer.tag,  buffer.type};
  }
  // What `key` was when it was freed lately; null when it was not (or was forgotten).
  const FreedBuffer* Find(const LiveKey& key, std::size_t hash) const {
    const FreedBuffer& slot = slots_[hash & (slots_.size() - 1)];
    return slot.key == key ? &slot : nullptr;
  }

 private:
  std::vector<FreedBuffer> slots_;  // an empty slot holds a key with an invalid class
};

}  // namespace memledger
