// stack_text_test.cc — StackLines (src/report/stack_text.h) on stacks that mix
// native frames and language frames (Python's, record.h): each language frame
// is the text its LANGUAGE_FRAME record gave, in the native frames' form, in
// the stack's order; one never described shows as its bare value.
#include "report/stack_text.h"
#include "symbolize/symbolizer.h"

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

TEST(StackLines, MemledgersOwnLibrariesAreLeftOut) {
  ProcessBooks books;
  const auto module = [](std::uint64_t start, std::string path) {
    return ModuleDescription{.base = start, .start = start, .end = start + 0x10000, .build_id = {}, .path = path};
  };
  books.modules = {module(0x100000, "/usr/lib/libmemledger_cuda.so"), module(0x200000, "/usr/lib/libmemledger.so.0"),
                   module(0x300000, "/opt/app/trainer")};
  // The interposer's cudaMalloc, the library's hook, then the program's call.
  books.stacks[4] = {0x100040, 0x200080, 0x3000c0};
  Symbolizer symbolizer;
  const auto lines = StackLines(books, 4, symbolizer);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("trainer"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace memledger
