// quantity_text_test.cc — sizes and times as people type them
// (src/event/quantity_text.h): every unit, exactly; anything else refused.
#include "event/quantity_text.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

TEST(ParseByteSize, ReadsBytesAndPowersOf1024) {
  EXPECT_EQ(ParseByteSize("4096"), 4096u);
  EXPECT_EQ(ParseByteSize("0"), 0u);
  EXPECT_EQ(ParseByteSize("64K"), 64u << 10);
  EXPECT_EQ(ParseByteSize("64k"), 64u << 10);
  EXPECT_EQ(ParseByteSize("64KiB"), 64u << 10);
  EXPECT_EQ(ParseByteSize("32M"), 32u << 20);
  EXPECT_EQ(ParseByteSize("256MiB"), 256u << 20);
  EXPECT_EQ(ParseByteSize("1G"), 1ull << 30);
  EXPECT_EQ(ParseByteSize("3g"), 3ull << 30);
}

TEST(ParseByteSize, RefusesWhatIsNoSize) {
  for (const char* text : {"", "K", "-1", "1.5M", "1T", "1 M", "1MB", "M1", "17179869184G"}) {
    EXPECT_EQ(ParseByteSize(text), std::nullopt) << text;
  }
}

TEST(ParseSeconds, ReadsEveryUnitExactly) {
  EXPECT_EQ(ParseSeconds("12.5"), 12.5);
  EXPECT_EQ(ParseSeconds("12.5s"), 12.5);
  EXPECT_EQ(ParseSeconds("1234.567ms"), 1.234567);
  EXPECT_EQ(ParseSeconds("250us"), 250e-6);
  EXPECT_EQ(ParseSeconds("2m"), 120.0);
  EXPECT_EQ(ParseSeconds("2min"), 120.0);
  EXPECT_EQ(ParseSeconds("1h"), 3600.0);
  EXPECT_EQ(ParseSeconds("0"), 0.0);
}

TEST(ParseSeconds, RefusesWhatIsNoTime) {
  for (const char* text : {"", "s", "-1", "1d", "1 s", "inf", "nan", "1hour", "1e308h"}) {
    EXPECT_EQ(ParseSeconds(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace memledger
