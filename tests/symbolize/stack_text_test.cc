// stack_text_test.cc — StackLines (src/report/stack_text.h) on stacks that mix
// native frames and language frames (Python's, record.h): each language frame
// is the text its LANGUAGE_FRAME record gave, in the native frames' form, in
// the stack's order; one never described shows as its bare value.
#include "report/stack_text.h"

#include <gtest/gtest.h>

namespace memledger {
namespace {

TEST(StackLines, LanguageFramesReadAsTheirDescribedText) {
  ProcessBooks books;
  books.language_frames[LanguageFrameValue(1)] = {"leak_cache", "/app/train.py", 12};
  books.language_frames[LanguageFrameValue(2)] = {"<module>", "/app/train.py", 30};
  books.stacks[7] = {0x1234, 0x5678, LanguageFrameValue(1), LanguageFrameValue(2), LanguageFrameValue(9)};
  Symbolizer symbolizer;
  EXPECT_EQ(StackLines(books, 7, symbolizer),
            (std::vector<std::string>{"0x1234", "0x5678", "leak_cache at /app/train.py:12",
                                      "<module> at /app/train.py:30", "0xfa7e000000000009"}));
}

TEST(StackLines, AStackOfLanguageFramesOnly) {
  ProcessBooks books;
  books.language_frames[LanguageFrameValue(3)] = {"Model.forward", "model.py", 0};
  books.stacks[1] = {LanguageFrameValue(3)};
  Symbolizer symbolizer;
  EXPECT_EQ(StackLines(books, 1, symbolizer), (std::vector<std::string>{"Model.forward at model.py"}));
  EXPECT_TRUE(StackLines(books, 0, symbolizer).empty());
  EXPECT_TRUE(StackLines(books, 2, symbolizer).empty());
}

}  // namespace
}  // namespace memledger
