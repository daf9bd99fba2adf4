// text_columns.cc — see text_columns.h.
#include "text_columns.h"

#include <algorithm>

namespace memledger {

int Columns(std::string_view s) {
  int n = 0;
  for (const unsigned char c : s) n += (c & 0xC0) != 0x80;  // a character's first byte
  return n;
}

std::string Fit(std::string_view s, int width) {
  int n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && ++n > width) return std::string(s.substr(0, i));
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
    const std::size_t space = head.rfind(' ');
    if (space != std::string::npos && space > 0) head.resize(space);
    lines.push_back(head);
    rest = rest.substr(head.size() + (rest.size() > head.size() && rest[head.size()] == ' ' ? 1 : 0));
  }
  lines.push_back(rest);
  return lines;
}

}  // namespace memledger
