// printable_text.cc — see printable_text.h.
#include "report/printable_text.h"

#include <fmt/format.h>

#include <cstdint>
#include <iterator>

#include "event/utf8.h"

namespace memledger {
namespace {

// The code point of the well-formed character of `length` bytes at text[i].
std::uint32_t CodePoint(std::string_view text, std::size_t i, std::size_t length) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i + k])); };
  switch (length) {
    case 2: return (byte(0) & 0x1F) << 6 | (byte(1) & 0x3F);
    case 3: return (byte(0) & 0x0F) << 12 | (byte(1) & 0x3F) << 6 | (byte(2) & 0x3F);
    case 4: return (byte(0) & 0x07) << 18 | (byte(1) & 0x3F) << 12 | (byte(2) & 0x3F) << 6 | (byte(3) & 0x3F);
    default: return byte(0);
  }
}

bool EscapedAbove127(std::uint32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

std::size_t CharacterLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace

std::string PrintableText(std::string_view text) {
  const std::string valid = ValidUtf8(text);
  std::string out;
  out.reserve(valid.size());
  for (std::size_t i = 0; i < valid.size();) {
    const auto lead = static_cast<unsigned char>(valid[i]);
    const std::size_t length = CharacterLength(lead);  // `valid` is well-formed
    const std::uint32_t c = CodePoint(valid, i, length);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
        } else if (EscapedAbove127(c)) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.append(valid, i, length);
        }
    }
    i += length;
  }
  return out;
}

}  // namespace memledger
