// drain_times_test.cc — DrainTimes: a drained batch's records spread over
// the interval since the previous look, distinct and in sequence order,
// none later than the drain; never backwards, whatever the clock gives.
#include "ledger/drain_times.h"

#include <gtest/gtest.h>

#include <vector>

namespace memledger {
namespace {

std::vector<std::uint64_t> Batch(DrainTimes& times, std::uint64_t drained_at, std::size_t slots) {
  times.BeginBatch(drained_at, slots);
  std::vector<std::uint64_t> out;
  for (std::size_t k = 0; k < slots; ++k) out.push_back(times.TimeOf(k));
  return out;
}

TEST(DrainTimes, ABatchSpreadsOverTheIntervalSinceThePreviousLook) {
  DrainTimes times;
  times.Looked(1'000'000);
  const auto got = Batch(times, 1'000'400, 400);  // 400 records in 400 ns: 1 ns apart
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_EQ(got[k], 1'000'001 + k);
  EXPECT_EQ(got.back(), 1'000'400u) << "the batch's last slot is at its drain";

  const auto next = Batch(times, 1'001'400, 4);  // from the previous batch's drain
  EXPECT_EQ(next, (std::vector<std::uint64_t>{1'000'650, 1'000'900, 1'001'150, 1'001'400}));
}

TEST(DrainTimes, AnEmptyLookMovesWhereTheNextBatchBegins) {
  DrainTimes times;
  times.Looked(1'000);
  Batch(times, 2'000, 1);
  times.Looked(9'000);  // idle: the next records were published after this
  EXPECT_EQ(Batch(times, 10'000, 2), (std::vector<std::uint64_t>{9'500, 10'000}));
}

TEST(DrainTimes, OnlyHeaderSlotsTakeTimesAndTheyStayInOrder) {
  DrainTimes times;
  times.Looked(100);
  times.BeginBatch(200, 10);  // records at slots 0, 3 (a record with two continuations) and 9
  EXPECT_EQ(times.TimeOf(0), 110u);
  EXPECT_EQ(times.TimeOf(3), 140u);
  EXPECT_EQ(times.TimeOf(9), 200u);
}

TEST(DrainTimes, MoreRecordsThanNanosecondsStillGiveDistinctTimes) {
  DrainTimes times;
  times.Looked(500);
  const auto got = Batch(times, 502, 5);  // 5 records in 2 ns: 1 ns apart, up to 3 ns past the drain
  EXPECT_EQ(got, (std::vector<std::uint64_t>{501, 502, 503, 504, 505}));
  const auto next = Batch(times, 503, 2);  // a drain before the last time given: still forward
  EXPECT_EQ(next, (std::vector<std::uint64_t>{506, 507}));
}

TEST(DrainTimes, AFirstBatchWithoutALookEndsAtItsDrain) {
  DrainTimes times;
  EXPECT_EQ(Batch(times, 1'000, 3), (std::vector<std::uint64_t>{998, 999, 1'000}));
}

TEST(DrainTimes, ALongIdleGapDoesNotOverflow) {
  DrainTimes times;
  const std::uint64_t day = 86'400'000'000'000;
  times.Looked(1);
  const auto got = Batch(times, 1 + 30 * day, 65'536);
  EXPECT_EQ(got.back(), 1 + 30 * day);
  EXPECT_EQ(got[32'767], 1 + 15 * day);
  for (std::size_t k = 1; k < got.size(); ++k) ASSERT_LT(got[k - 1], got[k]);
}

}  // namespace
}  // namespace memledger
