// log_limiter.h — LogLimiter: how much peers can make the server write to its
// log. A burst of lines at once, then one a period; the lines held back are
// counted, and the next line let through says how many there were.
//
// Not thread-safe: owned and used by the server's loop thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace memledger {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  LogLimiter(std::uint32_t burst, Clock::duration period) : burst_(burst), tokens_(burst), period_(period) {}

  // True when a line may be written at `now`; false counts it as held back.
  bool Allow(Clock::time_point now);
  // Lines held back since the last call; call it when a line is let through.
  std::uint64_t TakeHeldBack() {
    const std::uint64_t n = held_back_;
    held_back_ = 0;
    return n;
  }

 private:
  std::uint32_t burst_;
  std::uint32_t tokens_;
  Clock::duration period_;
  Clock::time_point refilled_{};  // tokens_ counts what was earned up to here
  std::uint64_t held_back_ = 0;
};

}  // namespace memledger
