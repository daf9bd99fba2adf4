// log_limiter.cc — a token bucket for the server's log (log_limiter.h).
#include "server/log_limiter.h"

#include <algorithm>

namespace memledger {

bool LogLimiter::Allow(Clock::time_point now) {
  if (tokens_ == burst_) {
    refilled_ = now;  // full: nothing to earn until one is spent
  } else if (const auto earned = (now - refilled_) / period_; earned > 0) {
    tokens_ = static_cast<std::uint32_t>(std::min<std::int64_t>(burst_, tokens_ + earned));
    refilled_ = tokens_ == burst_ ? now : refilled_ + earned * period_;
  }
  if (tokens_ == 0) {
    ++held_back_;
    return false;
  }
  --tokens_;
  return true;
}

}  // namespace memledger
