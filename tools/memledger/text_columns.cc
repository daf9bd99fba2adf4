// text_columns.cc — see text_columns.h.
#include "text_columns.h"

#include <algorithm>
#include <utility>

namespace memledger {
namespace {

struct Range {
  char32_t first, last;
};
// Zero-width: combining marks, zero-width joiners and variation selectors.
constexpr Range kZeroWidth[] = {{0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A},
                                {0x064B, 0x065F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
                                {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xE0100, 0xE01EF}};
// Two columns: East Asian Wide and Fullwidth blocks, and emoji.
constexpr Range kWide[] = {{0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},
                           {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xA960, 0xA97F},   {0xAC00, 0xD7A3},
                           {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},   {0xFF00, 0xFF60},
                           {0xFFE0, 0xFFE6},   {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD},
                           {0x30000, 0x3FFFD}};

bool In(char32_t c, const auto& ranges) {
  return std::any_of(std::begin(ranges), std::end(ranges), [c](const Range& r) { return c >= r.first && c <= r.last; });
}

// The character at s[i] (valid UTF-8): its code point and its length in bytes.
std::pair<char32_t, std::size_t> Decode(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(i + k < s.size() ? s[i + k] : 0); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
  char32_t c = lead & (0x7F >> length);
  for (std::size_t k = 1; k < length; ++k) c = (c << 6) | (byte(k) & 0x3F);
  return {c, length};
}

int Width(char32_t c) { return In(c, kZeroWidth) ? 0 : In(c, kWide) ? 2 : 1; }

}  // namespace

int Columns(std::string_view s) {
  int n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto [c, length] = Decode(s, i);
    n += Width(c);
    i += length;
  }
  return n;
}

std::string Fit(std::string_view s, int width) {
  int n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const auto [c, length] = Decode(s, i);
    n += Width(c);
    if (n > width) return std::string(s.substr(0, i));
    i += length;
  }
  return std::string(s);
}

std::string FitMarked(std::string_view s, int width, bool utf8) {
  if (Columns(s) <= width) return std::string(s);
  const std::string_view mark = utf8 ? "…" : "...";
  const int mark_columns = Columns(mark);
  if (width < mark_columns) return Fit(s, width);
  return Fit(s, width - mark_columns) + std::string(mark);
}

std::vector<std::string> WrapText(const std::string& text, int width) {
  std::vector<std::string> lines;
  std::string rest = text;
  while (width > 0 && Columns(rest) > width) {
    std::string head = Fit(rest, width);
    if (head.empty()) break;  // not one character fits
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos && space > 0) head.resize(space);
    lines.push_back(head);
    rest = rest.substr(head.size() + (rest.size() > head.size() && rest[head.size()] == ' ' ? 1 : 0));
  }
  lines.push_back(rest);
  return lines;
}

}  // namespace memledger
