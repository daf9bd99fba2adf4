// accounting.h — the ledger's value types: counters per device x memory type,
// anomaly kinds, leak sites. Plain data; no behaviour beyond small helpers.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "event/event.h"

namespace memledger {

// Invariants (checked by Ledger::Validate, after every device close and
// process end in debug builds):
//   live_bytes   = sum of the sizes of the live buffers counted here
//   live_buffers = number of those buffers
//   peak_bytes  >= live_bytes
//   a device's counters = the sum of every process's counters there
struct TypeCounters {
  std::uint64_t live_bytes = 0;
  std::uint64_t live_buffers = 0;
  std::uint64_t peak_bytes = 0;
  std::uint64_t allocs = 0;
  std::uint64_t frees = 0;
  std::uint64_t leaked_bytes = 0;
  std::uint64_t leaked_buffers = 0;
  // The highest live_bytes since a process's newest open checkpoint began
  // (checkpoints.h restarts it there); read only while one is open.
  std::uint64_t window_peak = 0;

  void Add(std::uint64_t bytes) {
    ++allocs;
    ++live_buffers;
    live_bytes += bytes;
    if (live_bytes > peak_bytes) peak_bytes = live_bytes;
    if (live_bytes > window_peak) window_peak = live_bytes;
  }
  void Remove(std::uint64_t bytes) {
    --live_buffers;
    live_bytes -= bytes;
  }
  bool empty() const { return allocs == 0 && live_buffers == 0 && leaked_buffers == 0; }
};

// Values by ledger-wide memory type (an index into the ledger's table of type
// names, up to Ledger::kMaxTypeNames), for the types that have one: sparse —
// a process uses a handful of the thousands a server may name — and in type
// order. An entry, once made, never moves (the ledger's accounts point at it).
template <typename T>
class TypeTable {
 public:
  // The value of `type`; T{} when it has none.
  const T& operator[](std::size_t type) const {
    const auto it = values_.find(type);
    return it == values_.end() ? kNone : it->second;
  }
  // The value of `type`, made T{} on first use.
  T& At(std::uint16_t type) { return values_[type]; }
  // (type, value) of every type that has one, in type order.
  auto begin() const { return values_.begin(); }
  auto end() const { return values_.end(); }
  auto begin() { return values_.begin(); }
  auto end() { return values_.end(); }
  void clear() { values_.clear(); }

 private:
  static inline const T kNone{};
  std::map<std::size_t, T> values_;
};
using TypeCounterTable = TypeTable<TypeCounters>;

enum class Anomaly : std::uint8_t {
  kUnknownFree = 0,   // a free of something never allocated (or forgotten: see RecentFrees)
  kDoubleFree = 1,    // a free of something already freed
  kDoubleAlloc = 2,   // an alloc of an identity that is live; the new one replaces it
  kOverlap = 3,       // two live buffers intersect on one device and memory type
  kLateFreeHook = 4,  // an overlap the older buffer's free resolved: free hook placed too late
  kInvalidEvent = 5,  // bad device, memory type, size or payload
  // A device opened with a description (name, capacities) other than the one
  // it already has: the first stays, the opener is told here.
  kDeviceConflict = 6,
  // A buffer that reaches outside the address space its device declared for
  // its type (memledger_address_space): a wrong address or size in a hook,
  // or a wrong declaration.
  kOutsideAddressSpace = 7,
};
inline constexpr int kAnomalyCount = 8;
using AnomalyCounts = std::array<std::uint64_t, kAnomalyCount>;
// "unknown_free", "double_free", ... as in the summary schema.
std::string_view AnomalyName(Anomaly anomaly);

// kReleased: its ring went to another consumer (the process took it back
// from a server that stopped draining); these books stop there, what it holds
// is not leaked, and they go on if the ring comes back (Ledger::Rejoin).
enum class ProcessState : std::uint8_t { kRunning = 0, kExited = 1, kKilled = 2, kReleased = 3 };
std::string_view ProcessStateName(ProcessState state);

// Leaks grouped by where they came from.
struct LeakSiteKey {
  std::uint32_t device;
  std::uint16_t type;  // ledger-wide type index
  std::uint32_t tag;  // process-local tag id (Event::tag)
  std::uint32_t stack;
  std::uint32_t process;  // ledger process index: tags and stacks are per process
  bool operator==(const LeakSiteKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const LeakSiteKey& k) {
    return H::combine(std::move(h), k.device, k.type, k.tag, k.stack, k.process);
  }
};
struct LeakSiteTotals {
  std::uint64_t buffers = 0;
  std::uint64_t bytes = 0;
};

// Where anomalies came from, when stacks are captured: the stack of the event
// that showed it (the free; the new alloc of a double alloc; the free that
// resolved an overlap) and the allocation stack of the buffer concerned
// (0: unknown — a free of something never seen has no allocation).
struct AnomalySiteKey {
  std::uint32_t process;  // ledger process index
  Anomaly kind;
  std::uint32_t stack;
  std::uint32_t alloc_stack;
  bool operator==(const AnomalySiteKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const AnomalySiteKey& k) {
    return H::combine(std::move(h), k.process, k.kind, k.stack, k.alloc_stack);
  }
};

// One buffer as an anomaly names it: one the ledger saw allocated, or only
// what a free said of it (then alloc_seq is 0 and size unknown).
struct AnomalyBuffer {
  std::uint64_t identity = 0;   // the buffer id, or its address when it has none
  std::uint64_t address = 0;
  std::uint64_t size = 0;       // 0: unknown (a free does not say)
  std::uint64_t alloc_seq = 0;  // of its allocation; 0: never seen allocated
  std::uint32_t alloc_stack = 0;
  std::uint32_t tag = 0;        // process-local tag id
};

// The facts of one anomaly, as a sanitizer prints them: the buffers involved
// and the events that made it. Each anomaly site keeps its first as its
// example (the rest of the site shares its kind and stacks, not its buffers).
inline constexpr std::uint16_t kNoType = 0xffff;  // of an example whose memory type is unknown

struct AnomalyExample {
  std::uint64_t seq = 0;      // of the event that showed it (as AnomalySiteKey::stack)
  std::uint64_t time_ns = 0;  // of that event
  std::uint16_t device = 0;   // ledger-wide
  std::uint16_t type = kNoType;  // ledger-wide type index
  BufferClass cls = BufferClass::kBuffer;
  // The buffer concerned: the one freed (twice, or never allocated), the one
  // a double alloc replaced, the older of an overlap.
  AnomalyBuffer buffer;
  // The other: a double alloc's new buffer; the first newer buffer that
  // overlapped (identity 0 when unknown: the older was carried over).
  AnomalyBuffer other;
  std::uint32_t overlapped_by = 0;  // overlap, late_free_hook: newer buffers over it in all (saturating)
  // A double free's first free.
  std::uint64_t first_free_seq = 0;
  std::uint32_t first_free_stack = 0;
};

struct AnomalySiteTotals {
  std::uint64_t count = 0;
  AnomalyExample example;  // the site's first anomaly
};

}  // namespace memledger
