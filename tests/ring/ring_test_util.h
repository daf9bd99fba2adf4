// ring_test_util.h — shared by the ring tests: a ring maker that fails the
// test on error, events whose contents are derived from one number so a
// reader can check every field it got, and how a WakeReason is printed.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>

#include "ring/event_ring.h"
#include "ring/ring_consumer.h"
#include "ring/ring_ownership.h"

namespace memledger::ring_test {

inline std::unique_ptr<EventRing> MakeRing(std::uint64_t capacity, OnFull policy = OnFull::kBlock) {
  std::string error;
  auto ring = EventRing::Create(capacity, policy, &error);
  EXPECT_NE(ring, nullptr) << error;
  return ring;
}

// A consumer that takes `ring` (as the process's own consumer does).
inline RingConsumer ConsumerOf(EventRing& ring) { return RingConsumer(ring, TakeRing(ring.header())); }

// An ALLOC whose every field is a function of `value` (see ExpectStamped).
inline Event Stamped(std::uint64_t value) {
  Event e{};
  e.time_ns = value * 3 + 1;
  e.buffer_id = value ^ 0x5a5a5a5a5a5a5a5aULL;
  e.address = ~value;
  e.size = value * 7;
  e.thread = static_cast<std::uint32_t>(value);
  e.stack = static_cast<std::uint32_t>(value >> 32) + 11;
  e.tag = 0xfeed;
  e.device = static_cast<std::uint16_t>(value & 0xfff);
  e.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  e.type = static_cast<std::uint8_t>(value % 7);
  e.payload_bytes = 0;
  e.reserved = 0x0c0ffee0;
  return e;
}

// True when `e` carries exactly Stamped(value) in every field but seq.
inline bool IsStamped(const Event& e, std::uint64_t value) {
  Event expected = Stamped(value);
  expected.seq = e.seq;
  return std::memcmp(&expected, &e, sizeof(Event)) == 0;
}

// Claims one slot and publishes Stamped(value) in it; returns its seq (0: dropped).
inline std::uint64_t PublishStamped(EventRing& ring, std::uint64_t value) {
  const std::uint64_t seq = ring.Claim(1);
  if (seq != 0) ring.Publish(seq, Stamped(value));
  return seq;
}

}  // namespace memledger::ring_test

namespace memledger {
// How gtest prints a WakeReason in a failure.
inline void PrintTo(WakeReason reason, std::ostream* os) {
  *os << (reason == WakeReason::kSlotReady ? "kSlotReady" : reason == WakeReason::kDoorbell ? "kDoorbell" : "kTimeout");
}
}  // namespace memledger
