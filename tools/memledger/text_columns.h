// text_columns.h — printable text (report/printable_text.h: valid UTF-8,
// nothing a terminal acts on) measured and cut in terminal columns, for the
// tables of `memledger status` and `memledger top`. A character is one
// column: wide (East Asian) characters are not told apart.
//
// Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace memledger {

// Display columns of `s`: its characters.
int Columns(std::string_view s);
// `s` cut to at most `width` columns.
std::string Fit(std::string_view s, int width);
// `s` cut to at most `width` columns, its cut marked with an ellipsis ("…",
// or "..." when the terminal is not UTF-8).
std::string FitMarked(std::string_view s, int width, bool utf8);
// `text` in lines of at most `width` columns, broken at spaces where it can.
std::vector<std::string> WrapText(const std::string& text, int width);

}  // namespace memledger
