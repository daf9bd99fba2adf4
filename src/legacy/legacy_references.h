// legacy_references.h — LegacyReferences: the old tracker's booking rules for
// one legacy connection. Which of its ALLOC, FREE, CB_ALLOC, CB_FREE,
// KERNEL_LOAD and KERNEL_UNLOAD messages become ledger events, with which
// identity; and what the connection holds now, for DUMP_REMAINING.
//
// The legacy protocol carries no identity (legacy_event.h): the old tracker
// keyed what it booked by (device, buffer_id), never by address range, and
// these rules give the same totals (QUERY's *_allocated fields) and no
// anomaly where it saw none:
//   - ALLOC of an id live on the device: one more reference, and nothing
//     else; its size is counted once, the first ALLOC's. FREE: one reference
//     less; the buffer is freed with its last reference. Only a FREE's device
//     and id count: clients leave its buffer_type and size 0.
//   - CB_ALLOC and KERNEL_LOAD: each is booked with its own size, also at an
//     id that is live (programs' CBs share L1 addresses; the old tracker
//     added each one's size). CB_FREE and KERNEL_UNLOAD release one of them:
//     the newest of the same size, else the newest.
//   - A FREE, CB_FREE or KERNEL_UNLOAD of nothing live is passed on, for the
//     ledger to count as an unknown or double free.
// Invariants: a live (device, class, id) holds one reference entry for a
// buffer (with a count), one per CB_ALLOC / KERNEL_LOAD for the others; every
// entry is one live buffer in the ledger under its own identity: the legacy id
// when the connection has no live buffer of that class there under it, else one
// from 2^63 up that it has not.
// One connection is one process; references are not shared across connections
// (the old tracker's table was global: there, two processes naming the same id
// shared it), so that a peer can only ever change its own books.
//
// Not thread-safe: one per connection.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/container/inlined_vector.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "event/event.h"
#include "legacy/legacy_protocol.h"

namespace memledger::legacy {

// One live entry of a connection, for listing.
struct HeldBuffer {
  std::uint16_t device = 0;
  EventKind kind = EventKind::kAlloc;  // kAlloc (a buffer), kCbAlloc or kKernelLoad
  std::uint8_t type = 0;               // memledger's memory type
  std::uint64_t id = 0;                // the legacy buffer_id: an address, a counter, a program id
  std::uint64_t size = 0;
  std::uint64_t references = 1;        // ALLOCs not yet freed (buffers); 1 for CBs and kernels
};

class LegacyReferences {
 public:
  // The event an accepted `message` books (seq, time_ns and thread left 0),
  // or nullopt: a reference more or less and nothing for the ledger, or a
  // message that is no event (QUERY, ...).
  std::optional<Event> Book(const LegacyMessage& message);
  // Everything live on this connection, in no particular order.
  std::vector<HeldBuffer> Held() const;
  // ALLOCs of a live id that only raised its reference count, so far.
  std::uint64_t repeated_allocs() const { return repeated_allocs_; }

 private:
  struct Key {
    std::uint16_t device;
    EventKind kind;  // the class, by its allocating kind
    std::uint64_t id;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.device, k.kind, k.id);
    }
  };
  struct Reference {
    std::uint64_t identity;  // the ledger's
    std::uint64_t size;
    std::uint8_t type;
    std::uint64_t count;
  };
  std::optional<Event> Allocate(const Key& key, Event event);
  std::optional<Event> Release(const Key& key, Event event);
  // `key`'s id if no live entry of its device and class has it as identity, else one from 2^63 up.
  std::uint64_t UnusedIdentity(const Key& key);

  absl::flat_hash_map<Key, absl::InlinedVector<Reference, 1>> held_;
  absl::flat_hash_set<Key> identities_;  // (device, class, identity) of every live entry
  std::uint64_t next_own_identity_ = std::uint64_t{1} << 63;
  std::uint64_t repeated_allocs_ = 0;
};

}  // namespace memledger::legacy
