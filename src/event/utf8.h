// utf8.h — text that is valid UTF-8 whatever bytes it came from, and cutting
// text to a byte limit without splitting a character.
//
// Every name memledger keeps (tags, pools, marks, devices, process names,
// language frames) goes through ValidUtf8 where it is decoded, so the ledger,
// the JSON it emits and the Python strings built from it hold UTF-8 only.
//
// The rule: each ill-formed subsequence becomes U+FFFD, one per maximal
// subpart (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal
// Subparts": what WHATWG's decoder and Python's errors="replace" do). Ill-formed
// are: a stray continuation byte (80–BF), C0, C1 and F5–FF, overlong forms
// (E0 80–9F, F0 80–8F), surrogates (ED A0–BF), code points over U+10FFFF
// (F4 90–BF) and sequences cut short. Well-formed input comes out unchanged.
// NUL is a character like any other here.
//
// Pure functions of their arguments: thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace memledger {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

bool IsValidUtf8(std::string_view bytes);

// `bytes` with each ill-formed subsequence replaced by U+FFFD (the rule above).
std::string ValidUtf8(std::string_view bytes);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end
// inside a multi-byte character: a character that would straddle the limit is
// left out whole. Valid UTF-8 in, valid UTF-8 out. O(1): looks at most 3 bytes
// before the limit (so `text` may be a view of a longer buffer's first
// max_bytes + 1 bytes).
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

}  // namespace memledger
