// seconds_arg.h — a time on the command line: a non-negative number with an
// optional unit, "12.5" or "12.5s", "300ms", "250us", "2m" / "2min", read
// exactly (CLI11's unit transform prints the converted number back with six
// significant digits: "1234.567ms" would become 1.23457 s).
#pragma once

#include <optional>
#include <string_view>

namespace memledger {

// Seconds, or nullopt when `text` is not such a time.
std::optional<double> ParseSeconds(std::string_view text);

}  // namespace memledger
