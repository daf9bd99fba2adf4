// slot_columns.cc — see slot_columns.h.
//
// Eight slots at a time: their codes of one word form an 8×8 matrix of
// bytes (a code per row), whose transpose is that word's eight planes for
// those slots (a plane per row) — one 8-byte store per plane instead of a
// byte store per plane and slot (SSE2 unpacks where there is SSE2). A
// chunk's last n mod 8 slots go one by one. 18.5 ns a slot one way, 21
// the other (BM_SlotsToColumns, BM_ColumnsToSlots; docs/benchmarks.md).
#include "capture/slot_columns.h"

// MEMLEDGER_PORTABLE_TRANSPOSE: the portable transpose even where there is
// SSE2 (tests/capture builds the codec's test so too).
#if defined(__SSE2__) && !defined(MEMLEDGER_PORTABLE_TRANSPOSE)
#define MEMLEDGER_SSE2_TRANSPOSE 1
#include <emmintrin.h>
#endif

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace memledger {
namespace {

constexpr std::size_t kWords = kSlotBytes / sizeof(std::uint64_t);
static_assert(kWords == 8);
constexpr std::size_t kDifferenceWords = 2;  // seq and time_ns: coded by difference, the rest by XOR
constexpr std::size_t kBlock = 8;
constexpr std::size_t kTileSlots = 256;  // 16 KiB of slots

using Block = std::array<std::uint64_t, kBlock>;

std::uint64_t Zigzag(std::uint64_t difference) {
  return (difference << 1) ^ static_cast<std::uint64_t>(static_cast<std::int64_t>(difference) >> 63);
}
std::uint64_t Unzigzag(std::uint64_t code) { return (code >> 1) ^ (~(code & 1) + 1); }

std::uint64_t Code(std::size_t j, std::uint64_t word, std::uint64_t previous) {
  return j < kDifferenceWords ? Zigzag(word - previous) : word ^ previous;
}
std::uint64_t Uncode(std::size_t j, std::uint64_t code, std::uint64_t previous) {
  return j < kDifferenceWords ? previous + Unzigzag(code) : previous ^ code;
}

std::uint64_t Load(const unsigned char* bytes) {
  std::uint64_t word;
  std::memcpy(&word, bytes, sizeof(word));
  return word;
}
void Store(unsigned char* bytes, std::uint64_t word) { std::memcpy(bytes, &word, sizeof(word)); }

// Where word j of slot i is among the slots, and slot i's byte of plane b of
// word j among the columns of n slots.
std::size_t WordAt(std::size_t i, std::size_t j) { return i * kSlotBytes + j * sizeof(std::uint64_t); }
std::size_t PlaneAt(std::size_t n, std::size_t j, std::size_t b, std::size_t i) { return (8 * j + b) * n + i; }

// Rows (eight codes, or one word's eight planes of eight slots) transposed
// as bytes: row i's byte k becomes row k's byte i (little-endian), stored
// to out[k]. Its own inverse.
#if defined(MEMLEDGER_SSE2_TRANSPOSE)
// Interleaves bytes of row pairs, then 2-byte pairs of those, then 4-byte
// quads: each 16-byte result holds two transposed rows.
void TransposeBytes(const Block& r, unsigned char* const out[kBlock]) {
  auto row = [&](std::size_t i) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(&r[i])); };
  const __m128i t0 = _mm_unpacklo_epi8(row(0), row(1)), t1 = _mm_unpacklo_epi8(row(2), row(3));
  const __m128i t2 = _mm_unpacklo_epi8(row(4), row(5)), t3 = _mm_unpacklo_epi8(row(6), row(7));
  const __m128i u0 = _mm_unpacklo_epi16(t0, t1), u1 = _mm_unpackhi_epi16(t0, t1);
  const __m128i u2 = _mm_unpacklo_epi16(t2, t3), u3 = _mm_unpackhi_epi16(t2, t3);
  const __m128i pairs[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                            _mm_unpackhi_epi32(u1, u3)};
  for (std::size_t k = 0; k < 4; ++k) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out[2 * k]), pairs[k]);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out[2 * k + 1]), _mm_unpackhi_epi64(pairs[k], pairs[k]));
  }
}
#else
// Swaps the off-diagonal 4×4 blocks, then 2×2 blocks within each, then bytes.
void TransposeBytes(Block r, unsigned char* const out[kBlock]) {
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint64_t a = r[i], b = r[i + 4];
    r[i] = (a & 0x00000000ffffffffULL) | (b << 32);
    r[i + 4] = (b & 0xffffffff00000000ULL) | (a >> 32);
  }
  for (const std::size_t i : {0, 1, 4, 5}) {
    constexpr std::uint64_t kLow = 0x0000ffff0000ffffULL;
    const std::uint64_t a = r[i], b = r[i + 2];
    r[i] = (a & kLow) | ((b & kLow) << 16);
    r[i + 2] = (b & ~kLow) | ((a >> 16) & kLow);
  }
  for (const std::size_t i : {0, 2, 4, 6}) {
    constexpr std::uint64_t kLow = 0x00ff00ff00ff00ffULL;
    const std::uint64_t a = r[i], b = r[i + 1];
    r[i] = (a & kLow) | ((b & kLow) << 8);
    r[i + 1] = (b & ~kLow) | ((a >> 8) & kLow);
  }
  for (std::size_t k = 0; k < kBlock; ++k) Store(out[k], r[k]);
}
#endif

}  // namespace

void SlotsToColumns(std::span<const Event> slots, std::span<unsigned char> columns) {
  const std::size_t n = slots.size();
  const auto* words = reinterpret_cast<const unsigned char*>(slots.data());
  std::array<std::uint64_t, kWords> previous{};
  const std::size_t whole_blocks = n / kBlock * kBlock;
  // A tile of slots at a time (in L1), one word of them after the other: a
  // word's eight planes are eight write streams; all 64 at once, n apart,
  // would share the L1's sets (n a multiple of 4 KiB) and evict each other.
  for (std::size_t tile = 0; tile < whole_blocks; tile += kTileSlots) {
    const std::size_t end = std::min(tile + kTileSlots, whole_blocks);
    for (std::size_t j = 0; j < kWords; ++j) {
      for (std::size_t i = tile; i < end; i += kBlock) {
        Block rows;
        for (std::size_t s = 0; s < kBlock; ++s) {
          const std::uint64_t word = Load(words + WordAt(i + s, j));
          rows[s] = Code(j, word, previous[j]);
          previous[j] = word;
        }
        unsigned char* planes[kBlock];
        for (std::size_t b = 0; b < kBlock; ++b) planes[b] = columns.data() + PlaneAt(n, j, b, i);
        TransposeBytes(rows, planes);
      }
    }
  }
  for (std::size_t i = whole_blocks; i < n; ++i) {
    for (std::size_t j = 0; j < kWords; ++j) {
      const std::uint64_t word = Load(words + WordAt(i, j));
      const std::uint64_t code = Code(j, word, previous[j]);
      previous[j] = word;
      for (std::size_t b = 0; b < sizeof(code); ++b) {
        columns[PlaneAt(n, j, b, i)] = static_cast<unsigned char>(code >> (8 * b));
      }
    }
  }
}

void ColumnsToSlots(std::span<const unsigned char> columns, std::span<Event> slots) {
  const std::size_t n = slots.size();
  auto* words = reinterpret_cast<unsigned char*>(slots.data());
  std::array<std::uint64_t, kWords> previous{};
  const std::size_t whole_blocks = n / kBlock * kBlock;
  for (std::size_t tile = 0; tile < whole_blocks; tile += kTileSlots) {  // as SlotsToColumns, for the reads
    const std::size_t end = std::min(tile + kTileSlots, whole_blocks);
    for (std::size_t j = 0; j < kWords; ++j) {
      for (std::size_t i = tile; i < end; i += kBlock) {
        Block planes, codes;
        for (std::size_t b = 0; b < kBlock; ++b) planes[b] = Load(columns.data() + PlaneAt(n, j, b, i));
        unsigned char* rows[kBlock];
        for (std::size_t s = 0; s < kBlock; ++s) rows[s] = reinterpret_cast<unsigned char*>(&codes[s]);
        TransposeBytes(planes, rows);
        for (std::size_t s = 0; s < kBlock; ++s) {
          previous[j] = Uncode(j, codes[s], previous[j]);
          Store(words + WordAt(i + s, j), previous[j]);
        }
      }
    }
  }
  for (std::size_t i = whole_blocks; i < n; ++i) {
    for (std::size_t j = 0; j < kWords; ++j) {
      std::uint64_t code = 0;
      for (std::size_t b = 0; b < sizeof(code); ++b) code |= std::uint64_t{columns[PlaneAt(n, j, b, i)]} << (8 * b);
      previous[j] = Uncode(j, code, previous[j]);
      Store(words + WordAt(i, j), previous[j]);
    }
  }
}

}  // namespace memledger
