// live_buffers.h — the live table: every buffer that is allocated and not yet
// freed, keyed by (process, device, class, identity), with an address index
// per (process, device, memory type) to find overlaps, and a bounded memory
// of recent frees to tell a double free from an unknown one.
//
// Not thread-safe: owned by one Ledger. Memory: one LiveBuffer (56 bytes) per
// live buffer in the table, plus one address-index entry.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "ledger/accounting.h"

namespace memledger {

struct LiveKey {
  std::uint32_t process;
  std::uint16_t device;
  BufferClass cls;
  std::uint8_t unused = 0;
  std::uint64_t identity;  // the buffer id, or the address when the id is 0
  bool operator==(const LiveKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const LiveKey& k) {
    return H::combine(std::move(h), k.process, k.device, static_cast<std::uint8_t>(k.cls), k.identity);
  }
};
static_assert(sizeof(LiveKey) == 16);

struct LiveBuffer {
  std::uint64_t address;
  std::uint64_t size;
  std::uint64_t seq;       // of its ALLOC
  std::uint64_t time_ns;   // of its ALLOC
  std::uint32_t stack;
  std::uint32_t tag;
  std::uint8_t type;       // ledger-wide type index
  std::uint16_t overlapped_by;       // newer buffers that were allocated over this one (saturating)
  std::uint64_t first_overlap_seq;   // seq of the first of them
};
static_assert(sizeof(LiveBuffer) <= 64);

// Address index of one (process, device, memory type).
struct AddressRange {
  std::uint64_t end;
  LiveKey key;
};
using AddressIndex = absl::btree_map<std::pair<std::uint64_t, std::uint64_t>, AddressRange>;  // (address, identity)

// Identities freed lately, oldest forgotten first. A free of one of these is a
// double free; a free of an identity never seen (or forgotten) is unknown.
class RecentFrees {
 public:
  explicit RecentFrees(std::size_t capacity);
  void Remember(const LiveKey& key);
  bool Contains(const LiveKey& key) const { return set_.contains(key); }

 private:
  std::vector<LiveKey> fifo_;
  std::size_t next_ = 0;    // the oldest entry once the FIFO is full
  std::size_t filled_ = 0;
  absl::flat_hash_set<LiveKey> set_;
};

}  // namespace memledger
