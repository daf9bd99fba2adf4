// utf8.cc — see utf8.h.
#include "event/utf8.h"

namespace memledger {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// The character starting at text[i] (i < size): `bytes` is its length when
// well-formed (and `well_formed` true); otherwise the length of the maximal
// subpart there (at least 1), which becomes one U+FFFD. Unicode 15, table 3-7.
struct Scan {
  std::size_t bytes;
  bool well_formed;
};
Scan ScanCharacter(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return {1, true};
  std::size_t length;
  unsigned char second_low = 0x80, second_high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;   // overlong
    if (lead == 0xED) second_high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;   // overlong
    if (lead == 0xF4) second_high = 0x8F;  // over U+10FFFF
  } else {
    return {1, false};  // C0, C1, F5–FF or a stray continuation byte
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return {k, false};
    const auto byte = static_cast<unsigned char>(text[i + k]);
    const bool fits = k == 1 ? byte >= second_low && byte <= second_high : IsContinuation(byte);
    if (!fits) return {k, false};
  }
  return {length, true};
}

// Bytes of a multi-byte character that `lead` starts (1 for anything else).
std::size_t LeadLength(unsigned char lead) {
  if (lead >= 0xC0 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  return 1;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const Scan scan = ScanCharacter(bytes, i);
    if (!scan.well_formed) return false;
    i += scan.bytes;
  }
  return true;
}

std::string ValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  std::size_t copied = 0;  // bytes[copied, i) are well-formed and not yet in `out`
  std::size_t i = 0;
  while (i < bytes.size()) {
    const Scan scan = ScanCharacter(bytes, i);
    if (!scan.well_formed) {
      out.append(bytes.substr(copied, i - copied));
      out.append(kReplacementCharacter);
      copied = i + scan.bytes;
    }
    i += scan.bytes;
  }
  out.append(bytes.substr(copied));
  return out;
}

std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  if (!IsContinuation(static_cast<unsigned char>(text[max_bytes]))) return text.substr(0, max_bytes);
  // text[max_bytes] continues a character: find where that character starts.
  for (std::size_t back = 1; back <= 3 && back <= max_bytes; ++back) {
    const auto byte = static_cast<unsigned char>(text[max_bytes - back]);
    if (IsContinuation(byte)) continue;
    if (LeadLength(byte) > back) return text.substr(0, max_bytes - back);
    break;
  }
  return text.substr(0, max_bytes);  // stray continuation bytes: no character to keep whole
}

}  // namespace memledger
