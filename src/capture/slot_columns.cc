// slot_columns.cc — see slot_columns.h.
#include "capture/slot_columns.h"

#include <cstdint>
#include <cstring>

namespace memledger {
namespace {

constexpr std::size_t kWords = kSlotBytes / sizeof(std::uint64_t);
static_assert(kWords == 8);
constexpr std::size_t kDifferenceWords = 2;  // seq and time_ns: coded by difference, the rest by XOR

std::uint64_t Zigzag(std::uint64_t difference) {
  return (difference << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(difference) >> 63);
}
std::uint64_t Unzigzag(std::uint64_t code) { return (code >> 1) ^ (~(code & 1) + 1); }

std::uint64_t WordOf(const Event& slot, std::size_t j) {
  std::uint64_t word;
  std::memcpy(&word, reinterpret_cast<const unsigned char*>(&slot) + j * sizeof(word), sizeof(word));
  return word;
}

}  // namespace

void SlotsToColumns(std::span<const Event> slots, std::span<unsigned char> columns) {
  const std::size_t n = slots.size();
  for (std::size_t j = 0; j < kWords; ++j) {
    unsigned char* planes = columns.data() + j * sizeof(std::uint64_t) * n;
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t word = WordOf(slots[i], j);
      const std::uint64_t code = j < kDifferenceWords ? Zigzag(word - previous) : word ^ previous;
      previous = word;
      for (std::size_t b = 0; b < sizeof(code); ++b) planes[b * n + i] = static_cast<unsigned char>(code >> (8 * b));
    }
  }
}

void ColumnsToSlots(std::span<const unsigned char> columns, std::span<Event> slots) {
  const std::size_t n = slots.size();
  for (std::size_t j = 0; j < kWords; ++j) {
    const unsigned char* planes = columns.data() + j * sizeof(std::uint64_t) * n;
    std::uint64_t previous = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t code = 0;
      for (std::size_t b = 0; b < sizeof(code); ++b) code |= std::uint64_t{planes[b * n + i]} << (8 * b);
      const std::uint64_t word = j < kDifferenceWords ? previous + Unzigzag(code) : previous ^ code;
      previous = word;
      std::memcpy(reinterpret_cast<unsigned char*>(&slots[i]) + j * sizeof(word), &word, sizeof(word));
    }
  }
}

}  // namespace memledger
