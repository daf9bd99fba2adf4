// slot_columns_test.cc — the columns codec's transform (slot_columns.h):
// any slots come back exactly, and the bytes are laid out as the format says.
#include "capture/slot_columns.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace memledger {
namespace {

std::vector<unsigned char> ColumnsOf(const std::vector<Event>& slots) {
  std::vector<unsigned char> columns(slots.size() * kSlotBytes);
  SlotsToColumns(slots, columns);
  return columns;
}

void ExpectRoundTrip(const std::vector<Event>& slots) {
  const std::vector<unsigned char> columns = ColumnsOf(slots);
  std::vector<Event> back(slots.size());
  ColumnsToSlots(columns, back);
  EXPECT_EQ(std::memcmp(back.data(), slots.data(), slots.size() * kSlotBytes), 0);
}

TEST(SlotColumns, AnyWordsComeBackExactly) {
  std::mt19937_64 random(17);
  for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1000}, std::size_t{1} << 16}) {
    SCOPED_TRACE(n);
    std::vector<Event> slots(n);
    for (Event& slot : slots) {
      std::uint64_t words[8];
      for (std::uint64_t& word : words) word = random();
      std::memcpy(&slot, words, sizeof(words));
    }
    ExpectRoundTrip(slots);
  }
}

TEST(SlotColumns, DifferencesThatWrapComeBackExactly) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::vector<Event> slots(6);
  const std::uint64_t seqs[] = {kMax, 0, kMax, 1, std::uint64_t{1} << 63, 0};
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i].seq = seqs[i];
    slots[i].time_ns = kMax - seqs[i];
    slots[i].address = seqs[i] ^ 0x5555;
  }
  ExpectRoundTrip(slots);
}

TEST(SlotColumns, BytesAreLaidOutAsTheFormatSays) {
  std::vector<Event> slots(2);
  slots[0].seq = 5;
  slots[1].seq = 6;           // difference 1: zigzag 2
  slots[0].time_ns = 100;     // zigzag(100) = 200
  slots[1].time_ns = 90;      // difference -10: zigzag 19
  slots[0].buffer_id = 0x0102;
  slots[1].buffer_id = 0x0103;  // XOR 0x0001
  const std::vector<unsigned char> columns = ColumnsOf(slots);
  const std::size_t n = slots.size();
  auto at = [&](std::size_t word, std::size_t byte, std::size_t slot) { return columns[(8 * word + byte) * n + slot]; };
  EXPECT_EQ(at(0, 0, 0), 10);
  EXPECT_EQ(at(0, 0, 1), 2);
  EXPECT_EQ(at(0, 1, 1), 0);
  EXPECT_EQ(at(1, 0, 0), 200);
  EXPECT_EQ(at(1, 0, 1), 19);
  EXPECT_EQ(at(2, 0, 0), 0x02);
  EXPECT_EQ(at(2, 1, 0), 0x01);
  EXPECT_EQ(at(2, 0, 1), 0x01);
  EXPECT_EQ(at(2, 1, 1), 0x00);
}

}  // namespace
}  // namespace memledger
