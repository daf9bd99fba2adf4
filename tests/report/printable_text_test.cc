// printable_text_test.cc — PrintableText (src/report/printable_text.h): names
// as text outputs show them: valid UTF-8, nothing a terminal acts on, no line
// breaks, printable text unchanged.
#include "report/printable_text.h"

#include <gtest/gtest.h>

#include <string>

#include "event/utf8.h"

namespace memledger {
namespace {

TEST(PrintableText, KeepsPrintableTextUnchanged) {
  EXPECT_EQ(PrintableText("kv_cache"), "kv_cache");
  EXPECT_EQ(PrintableText("weights, fp16 \"q\""), "weights, fp16 \"q\"");
  EXPECT_EQ(PrintableText("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(PrintableText(""), "");
}

TEST(PrintableText, EscapesLineBreaksAndControls) {
  EXPECT_EQ(PrintableText("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(PrintableText("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(PrintableText(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(PrintableText("\x7f"), "\\x7f");
}

TEST(PrintableText, DoublesBackslashesSoTheEscapesReadBack) {
  EXPECT_EQ(PrintableText("a\\nb"), "a\\\\nb");
  EXPECT_NE(PrintableText("a\\nb"), PrintableText("a\nb"));
}

TEST(PrintableText, EscapesC1SeparatorsAndBidiControls) {
  EXPECT_EQ(PrintableText("\xC2\x85"), "\\u0085");             // NEL
  EXPECT_EQ(PrintableText("\xC2\x9B" "2J"), "\\u009b2J");       // CSI
  EXPECT_EQ(PrintableText("a\xE2\x80\xA8" "b"), "a\\u2028b");   // line separator
  EXPECT_EQ(PrintableText("\xE2\x80\xAE" "cod.exe"), "\\u202ecod.exe");  // right-to-left override
  EXPECT_EQ(PrintableText("\xE2\x81\xA6x"), "\\u2066x");
  EXPECT_EQ(PrintableText("\xC2\xA0"), "\xC2\xA0") << "no-break space is printable";
}

TEST(PrintableText, ReplacesIllFormedBytes) {
  EXPECT_EQ(PrintableText("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(PrintableText("\xFF\n"), "\xEF\xBF\xBD\\n");
}

TEST(PrintableText, EveryByteGivesValidTextWithoutControls) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  const std::string shown = PrintableText(all);
  EXPECT_TRUE(IsValidUtf8(shown));
  for (const char c : shown) {
    const auto byte = static_cast<unsigned char>(c);
    EXPECT_FALSE(byte < 0x20 || byte == 0x7f) << "control byte " << int{byte};
  }
}

}  // namespace
}  // namespace memledger
