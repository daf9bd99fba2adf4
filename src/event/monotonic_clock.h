// monotonic_clock.h — CLOCK_MONOTONIC in nanoseconds: the clock consumers
// stamp records with when they drain them (the hook reads no clock).
#pragma once

#include <time.h>

#include <cstdint>

namespace memledger {

inline std::uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace memledger
