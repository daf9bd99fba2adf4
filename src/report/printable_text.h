// printable_text.h — a name (a tag, pool, device, process, mark, a stack
// frame) as text reports show it on a terminal or in a line-oriented file.
//
// The one rule for every text output (text report, status, top, lifecycle
// log, CSV and collapsed exports): the result is valid UTF-8 (ill-formed
// bytes become U+FFFD, event/utf8.h) with nothing a terminal would act on
// and nothing that would end a line:
//   \  -> \\            (so the escaped form reads back unambiguously)
//   newline, CR, tab -> \n \r \t
//   other C0 controls and DEL -> \xNN
//   C1 controls (U+0080–U+009F), the line and paragraph separators
//   (U+2028, U+2029) and the bidirectional controls (U+202A–U+202E,
//   U+2066–U+2069) -> \uNNNN
// Printable text, multi-byte characters included, comes out unchanged.
//
// Pure function: thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace memledger {

std::string PrintableText(std::string_view text);

}  // namespace memledger
