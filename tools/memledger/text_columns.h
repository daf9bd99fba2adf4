// text_columns.h — printable text (report/printable_text.h: valid UTF-8,
// nothing a terminal acts on) measured and cut in terminal columns, for the
// tables of `memledger status` and `memledger top`: a character takes one
// column, an East Asian wide one or an emoji two, a combining mark none (as
// wcwidth says, from a table here: `status` does not set the locale, and a
// name may come from any process).
//
// Pure functions: thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace memledger {

// Display columns of `s`.
int Columns(std::string_view s);
// `s` cut to at most `width` columns (never inside a character).
std::string Fit(std::string_view s, int width);
// `s` cut to at most `width` columns, its cut marked with an ellipsis ("…",
// or "..." when the terminal is not UTF-8).
std::string FitMarked(std::string_view s, int width, bool utf8);
// `text` in lines of at most `width` columns, broken at spaces where it can.
std::vector<std::string> WrapText(const std::string& text, int width);

}  // namespace memledger
