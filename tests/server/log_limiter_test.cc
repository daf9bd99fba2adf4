// log_limiter_test.cc — LogLimiter (src/server/log_limiter.h): a burst at
// once, then one line a period, and a count of what was held back. Time is
// given, not waited for.
#include "server/log_limiter.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

using namespace std::chrono_literals;

TEST(LogLimiter, ABurstThenOneAPeriod) {
  LogLimiter log(3, 1s);
  const LogLimiter::Clock::time_point t0{};
  EXPECT_TRUE(log.Allow(t0));
  EXPECT_TRUE(log.Allow(t0));
  EXPECT_TRUE(log.Allow(t0));
  EXPECT_FALSE(log.Allow(t0));
  EXPECT_FALSE(log.Allow(t0 + 999ms));
  EXPECT_TRUE(log.Allow(t0 + 1s));
  EXPECT_EQ(log.TakeHeldBack(), 2u);
  EXPECT_EQ(log.TakeHeldBack(), 0u);
  EXPECT_FALSE(log.Allow(t0 + 1500ms));
  EXPECT_TRUE(log.Allow(t0 + 2s));
}

TEST(LogLimiter, RefillsUpToTheBurstOnly) {
  LogLimiter log(2, 1s);
  const LogLimiter::Clock::time_point t0{};
  EXPECT_TRUE(log.Allow(t0));
  EXPECT_TRUE(log.Allow(t0));
  const auto later = t0 + 1h;
  EXPECT_TRUE(log.Allow(later));
  EXPECT_TRUE(log.Allow(later));
  EXPECT_FALSE(log.Allow(later));
}

}  // namespace
}  // namespace memledger
