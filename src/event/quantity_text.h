// quantity_text.h — a size or a time as people type it, on the command line
// and in the environment alike: "4096", "64K", "32M", "1G" (powers of 1024)
// and "12.5", "12.5s", "300ms", "250us", "2m" / "2min", "1h". Read exactly
// (CLI11's unit transform prints the converted number back with six
// significant digits: "1234.567ms" would become 1.23457 s).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace memledger {

// Bytes, or nullopt when `text` is not such a size (or overflows 64 bits).
std::optional<std::uint64_t> ParseByteSize(std::string_view text);

// Seconds, or nullopt when `text` is not such a time (negative, or past
// what a double holds, included).
std::optional<double> ParseSeconds(std::string_view text);

}  // namespace memledger
