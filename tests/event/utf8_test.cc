// utf8_test.cc — ValidUtf8, IsValidUtf8 and Utf8Prefix (src/event/utf8.h):
// ill-formed bytes become U+FFFD one per maximal subpart, well-formed text
// comes out unchanged, and a cut never splits a character.
#include "event/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace memledger {
namespace {

const std::string kFffd(kReplacementCharacter);

TEST(ValidUtf8, KeepsWellFormedTextByteForByte) {
  for (const std::string& text : {std::string(), std::string("kv_cache"), std::string("caf\xC3\xA9"),
                                 std::string("\xE2\x82\xAC 5"), std::string("\xF0\x9F\x98\x80"),
                                 std::string("a\0b", 3), std::string("\xEF\xBF\xBD"), std::string("\xF4\x8F\xBF\xBF")}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(ValidUtf8(text), text);
  }
}

TEST(ValidUtf8, ReplacesALatin1ByteWithOneReplacementCharacter) {
  EXPECT_FALSE(IsValidUtf8("caf\xE9"));
  EXPECT_EQ(ValidUtf8("caf\xE9"), "caf" + kFffd);
  EXPECT_EQ(ValidUtf8("caf\xE9-sim"), "caf" + kFffd + "-sim");
}

TEST(ValidUtf8, ReplacesEachMaximalSubpartOnce) {
  // The examples of Unicode 15, section 3.9 (tables 3-8 to 3-11).
  EXPECT_EQ(ValidUtf8("\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41"),
            kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + "A");
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41"),
            kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + kFffd + "A");
  EXPECT_EQ(ValidUtf8("\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42"),
            kFffd + kFffd + kFffd + kFffd + kFffd + "A" + kFffd + kFffd + "B");
  EXPECT_EQ(ValidUtf8("\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41"), kFffd + kFffd + kFffd + kFffd + "A");
}

TEST(ValidUtf8, ReplacesASequenceCutShortAtTheEnd) {
  EXPECT_EQ(ValidUtf8("ab\xE2\x82"), "ab" + kFffd);
  EXPECT_EQ(ValidUtf8("ab\xF0\x9F\x98"), "ab" + kFffd);
  EXPECT_EQ(ValidUtf8("\xC3"), kFffd);
}

TEST(ValidUtf8, ItsOutputIsAlwaysValidAndStable) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (int b = 255; b >= 0; --b) all += static_cast<char>(b);
  const std::string valid = ValidUtf8(all);
  EXPECT_TRUE(IsValidUtf8(valid));
  EXPECT_EQ(ValidUtf8(valid), valid);
}

TEST(Utf8Prefix, KeepsTextWithinTheLimit) {
  EXPECT_EQ(Utf8Prefix("abc", 3), "abc");
  EXPECT_EQ(Utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(Utf8Prefix("abcdef", 3), "abc");
  EXPECT_EQ(Utf8Prefix("", 0), "");
}

TEST(Utf8Prefix, LeavesOutACharacterThatStraddlesTheLimit) {
  const std::string euros = "\xE2\x82\xAC\xE2\x82\xAC";  // two 3-byte characters
  EXPECT_EQ(Utf8Prefix(euros, 6), euros);
  EXPECT_EQ(Utf8Prefix(euros, 5), "\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix(euros, 4), "\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix(euros, 3), "\xE2\x82\xAC");
  EXPECT_EQ(Utf8Prefix(euros, 2), "");
  const std::string emoji = "a\xF0\x9F\x98\x80";
  for (std::size_t limit = 1; limit < 5; ++limit) EXPECT_EQ(Utf8Prefix(emoji, limit), "a") << limit;
  EXPECT_EQ(Utf8Prefix("\xC3\xA9\xC3\xA9", 3), "\xC3\xA9");
}

TEST(Utf8Prefix, EveryCutOfValidTextIsValid) {
  // 300 bytes: 'x' then 2-, 3- and 4-byte characters, so cuts land everywhere.
  std::string text = "x";
  while (text.size() < 300) text += "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
  for (std::size_t limit = 0; limit <= text.size(); ++limit) {
    const std::string_view cut = Utf8Prefix(text, limit);
    EXPECT_LE(cut.size(), limit);
    EXPECT_GE(cut.size() + 3, limit) << "at most one character left out";
    EXPECT_TRUE(IsValidUtf8(cut)) << limit;
  }
}

TEST(Utf8Prefix, NeedsOnlyOneByteBeyondTheLimit) {
  // A caller reading a C string reads max_bytes + 1 bytes at most.
  const std::string name = std::string(255, 'n') + "\xC3\xA9";  // the 2-byte character is bytes 255 and 256
  EXPECT_EQ(Utf8Prefix(std::string_view(name).substr(0, 257), 256), std::string(255, 'n'));
}

TEST(Utf8Prefix, CutsGarbageAtTheLimit) {
  EXPECT_EQ(Utf8Prefix("\x80\x80\x80\x80\x80", 2), "\x80\x80");
  EXPECT_EQ(Utf8Prefix("ab\x80\x80\x80\x80", 4), "ab\x80\x80");
}

}  // namespace
}  // namespace memledger
