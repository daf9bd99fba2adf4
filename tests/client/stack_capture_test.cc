// stack_capture_test.cc — capturing the calling thread's stack (frame
// pointers and libunwind), interning stacks from many threads at once,
// language frames, and the module map that lets them be symbolized later
// (src/client/stack_capture.h, stack_table.h, language_frames.h, module_map.h).
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "client/language_frames.h"
#include "client/module_map.h"
#include "client/stack_capture.h"
#include "client/stack_table.h"

namespace memledger {
namespace {

struct Captured {
  std::vector<std::uint64_t> frames;
  std::uint64_t inner_return = 0;  // where Inner returns to, in Middle
  std::uint64_t middle_return = 0;  // where Middle returns to, in Outer
};

[[gnu::noinline]] void Inner(StackUnwinder how, Captured* out) {
  out->inner_return = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  std::uint64_t frames[kMaxStackDepth];
  out->frames.assign(frames, frames + CaptureStack(how, frames, kMaxStackDepth, FrameFilter{}).depth);
  asm volatile("" ::: "memory");  // not a tail call
}
[[gnu::noinline]] void Middle(StackUnwinder how, Captured* out) {
  out->middle_return = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  Inner(how, out);
  asm volatile("" ::: "memory");
}
[[gnu::noinline]] Captured Outer(StackUnwinder how) {
  Captured out;
  Middle(how, &out);
  asm volatile("" ::: "memory");
  return out;
}

class CaptureStackTest : public ::testing::TestWithParam<StackUnwinder> {};

TEST_P(CaptureStackTest, HoldsTheCallersReturnAddressesInnermostFirst) {
  const Captured captured = Outer(GetParam());
  ASSERT_GE(captured.frames.size(), 3u);
  const auto at = [&](std::uint64_t address) {
    return std::find(captured.frames.begin(), captured.frames.end(), address) - captured.frames.begin();
  };
  const auto inner = at(captured.inner_return), middle = at(captured.middle_return);
  ASSERT_LT(inner, static_cast<long>(captured.frames.size())) << "Middle's frame is in the stack";
  ASSERT_LT(middle, static_cast<long>(captured.frames.size())) << "Outer's frame is in the stack";
  EXPECT_EQ(middle, inner + 1) << "innermost first, no frame between";
}

[[gnu::noinline]] std::size_t CaptureFromHere(StackUnwinder how, std::uint64_t* frames, const FrameFilter& filter) {
  const std::size_t n = CaptureStack(how, frames, kMaxStackDepth, filter).depth;
  asm volatile("" ::: "memory");  // not a tail call
  return n;
}

TEST_P(CaptureStackTest, LeavesOutLeadingFramesInTheSkippedCode) {
  // One call site, three passes: the same frames each time, but for the skipping.
  std::uint64_t frames[3][kMaxStackDepth];
  std::size_t n[3];
  for (int pass = 0; pass < 3; ++pass) {
    CodeRange skip{};
    if (pass == 1) skip = {frames[0][0], frames[0][0] + 1};  // the innermost frame's code
    if (pass == 2) skip = {frames[0][1], frames[0][1] + 1};  // the next frame's code only
    n[pass] = CaptureFromHere(GetParam(), frames[pass], FrameFilter{.skip = skip});
  }
  ASSERT_GE(n[0], 2u);
  ASSERT_EQ(n[1], n[0] - 1) << "the skipped innermost frame is left out";
  EXPECT_TRUE(std::equal(frames[1], frames[1] + n[1], frames[0] + 1));
  EXPECT_EQ(n[2], n[0]) << "skipped code that is not leading is kept";
}

// Past the test body the frames are gtest's, built without frame pointers:
// only the first three frames are compared. The passes go through one call
// site (a loop the compiler cannot unroll).
TEST_P(CaptureStackTest, LeavesOutLeadingGlueAfterTheSkippedCode) {
  std::uint64_t frames[2][kMaxStackDepth];
  std::size_t n[2];
  volatile int passes = 2;
  for (int pass = 0; pass < passes; ++pass) {
    FrameFilter filter{};
    // The library's frame, then a binding's: both leading, both left out.
    if (pass == 1) filter = {.skip = {frames[0][0], frames[0][0] + 1}, .glue = {frames[0][1], frames[0][1] + 1}};
    n[pass] = CaptureFromHere(GetParam(), frames[pass], filter);
  }
  ASSERT_GE(n[0], 3u);
  ASSERT_GE(n[1], 1u);
  EXPECT_EQ(frames[1][0], frames[0][2]);
}

TEST_P(CaptureStackTest, EndsBeforeTheFirstFrameInTheInterpreter) {
  std::uint64_t frames[2][kMaxStackDepth];
  std::size_t n[2];
  volatile int passes = 2;
  for (int pass = 0; pass < passes; ++pass) {
    FrameFilter filter{};
    if (pass == 1) filter.stop_at = {frames[0][2], frames[0][2] + 1};
    n[pass] = CaptureFromHere(GetParam(), frames[pass], filter);
  }
  ASSERT_GE(n[0], 3u);
  ASSERT_EQ(n[1], 2u);
  EXPECT_EQ(frames[1][0], frames[0][0]);
  EXPECT_EQ(frames[1][1], frames[0][1]);
}

TEST_P(CaptureStackTest, StopsAtTheDepthAsked) {
  std::uint64_t frames[kMaxStackDepth];
  EXPECT_EQ(CaptureStack(GetParam(), frames, 2, FrameFilter{}).depth, 2u);
}

INSTANTIATE_TEST_SUITE_P(Unwinders, CaptureStackTest,
                         ::testing::Values(StackUnwinder::kFramePointers, StackUnwinder::kLibunwind),
                         [](const auto& info) {
                           return info.param == StackUnwinder::kFramePointers ? "FramePointers" : "Libunwind";
                         });

[[gnu::noinline]] CapturedStack CaptureWithin(const MappedCode& code, std::uint64_t* frames) {
  const CapturedStack captured =
      CaptureStack(StackUnwinder::kFramePointers, frames, kMaxStackDepth, FrameFilter{}, &code);
  asm volatile("" ::: "memory");
  return captured;
}

TEST(CaptureStack, AFramePointerWalkEndsAtTheFirstAddressOutsideTheMappedCode) {
  std::uint64_t all[kMaxStackDepth], within[kMaxStackDepth];
  const MappedCode everything({{0, ~0ULL}});
  const CapturedStack full = CaptureWithin(everything, all);
  ASSERT_GE(full.depth, 3u);
  EXPECT_EQ(full.stopped_at, 0u);
  // Only the innermost frame's code is known: the walk keeps it and stops at the next.
  const MappedCode innermost({{all[0], all[0] + 1}});
  const CapturedStack cut = CaptureWithin(innermost, within);
  EXPECT_EQ(cut.depth, 1u);
  EXPECT_EQ(within[0], all[0]);
  EXPECT_NE(cut.stopped_at, 0u) << "says where it stopped";
  // Nothing known: the first frame stops it (a library loaded since the last look).
  const MappedCode nothing({});
  const CapturedStack none = CaptureWithin(nothing, within);
  EXPECT_EQ(none.depth, 0u);
  EXPECT_EQ(none.stopped_at, all[0]);
}

TEST(MappedCode, FindsTheRangeHoldingAnAddress) {
  const MappedCode code({{0x5000, 0x6000}, {0x1000, 0x2000}, {0x9000, 0x9001}});
  for (const std::uint64_t inside : {0x1000ULL, 0x1fffULL, 0x5000ULL, 0x5abcULL, 0x9000ULL}) {
    EXPECT_TRUE(code.Contains(inside)) << std::hex << inside;
  }
  for (const std::uint64_t outside : {0x0ULL, 0xfffULL, 0x2000ULL, 0x4fffULL, 0x6000ULL, 0x9001ULL, ~0ULL}) {
    EXPECT_FALSE(code.Contains(outside)) << std::hex << outside;
  }
}

TEST(CaptureStack, OffCapturesNothing) {
  std::uint64_t frames[4];
  EXPECT_EQ(CaptureStack(StackUnwinder::kOff, frames, 4, FrameFilter{}).depth, 0u);
}

TEST(LanguageFrameTable, OneValuePerTextKeptInOrder) {
  LanguageFrameTable table;
  const std::string leak = EncodeLanguageFrame({"leak", "/app/a.py", 3});
  const std::string main = EncodeLanguageFrame({"<module>", "/app/a.py", 9});
  const auto first = table.Intern(leak);
  const auto second = table.Intern(main);
  const auto again = table.Intern(leak);
  EXPECT_TRUE(first.is_new && second.is_new);
  EXPECT_FALSE(again.is_new);
  EXPECT_EQ(first.value, LanguageFrameValue(1));
  EXPECT_EQ(second.value, LanguageFrameValue(2));
  EXPECT_EQ(again.value, first.value);
  EXPECT_TRUE(IsLanguageFrame(first.value));
  ASSERT_EQ(table.frames().size(), 2u);
  EXPECT_EQ(table.frames()[0], (std::pair<std::uint64_t, std::string>{first.value, leak}));
  EXPECT_EQ(table.frames()[1], (std::pair<std::uint64_t, std::string>{second.value, main}));
}

TEST(StackTable, OneIdPerDistinctStackFromManyThreadsAtOnce) {
  const auto made_table = StackTable::Create(12);
  ASSERT_NE(made_table, nullptr);
  StackTable& table = *made_table;
  constexpr int kThreads = 4;
  constexpr std::uint64_t kStacks = 500;
  std::vector<std::vector<std::uint32_t>> ids(kThreads, std::vector<std::uint32_t>(kStacks));
  std::atomic<int> made{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t s = 0; s < kStacks; ++s) {
        const std::uint64_t frames[3] = {0x1000 + s, 0x2000, 0x3000 + s % 7};
        const StackTable::Interned interned = table.Intern(frames);
        ids[t][s] = interned.id;
        if (interned.is_new) made.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(made.load(), static_cast<int>(kStacks)) << "each stack is new exactly once";
  std::set<std::uint32_t> distinct;
  for (std::uint64_t s = 0; s < kStacks; ++s) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(ids[t][s], ids[0][s]) << "stack " << s;
    EXPECT_NE(ids[0][s], 0u);
    distinct.insert(ids[0][s]);
  }
  EXPECT_EQ(distinct.size(), kStacks);
  const auto stacks = table.Stacks();
  const std::uint64_t frames[3] = {0x1000 + 42, 0x2000, 0x3000 + 42 % 7};
  EXPECT_EQ(stacks.at(ids[0][42]), std::vector<std::uint64_t>(frames, frames + 3)) << "frames kept by id";
}

TEST(StackTable, AFullTableGivesIdZero) {
  const auto made_table = StackTable::Create(2);  // four slots
  ASSERT_NE(made_table, nullptr);
  StackTable& table = *made_table;
  std::set<std::uint32_t> ids;
  for (std::uint64_t s = 0; s < 8; ++s) {
    const std::uint64_t frames[1] = {s + 1};
    ids.insert(table.Intern(frames).id);
  }
  EXPECT_EQ(ids.size(), 5u) << "four stacks and 0";
  EXPECT_TRUE(ids.count(0));
}

// What the client checks frames against: the ranges of the known modules.
bool Covered(const ModuleMap& map, std::uint64_t address) {
  std::vector<CodeRange> ranges;
  for (const ModuleDescription& m : map.modules()) ranges.push_back({m.start, m.end});
  return MappedCode(std::move(ranges)).Contains(address);
}

TEST(ModuleMap, CoversThisProgramAndSeesALibraryLoadedLater) {
  ModuleMap map;
  const auto first = map.Refresh();
  ASSERT_FALSE(first.empty());
  const auto own = reinterpret_cast<std::uint64_t>(&Outer);
  EXPECT_TRUE(Covered(map, own));
  const auto main = std::find_if(first.begin(), first.end(), [&](const ModuleDescription& m) {
    return own >= m.start && own < m.end;
  });
  ASSERT_NE(main, first.end());
  EXPECT_NE(main->path.find("client_tests"), std::string::npos) << "the main program by its real path";
  EXPECT_FALSE(main->build_id.empty()) << "Debian's toolchain writes a GNU build-id";
  EXPECT_TRUE(map.Refresh().empty()) << "nothing new";

  void* library = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  const auto function = reinterpret_cast<std::uint64_t>(dlsym(library, "zlibVersion"));
  if (!Covered(map, function)) {
    const auto added = map.Refresh();
    EXPECT_TRUE(std::any_of(added.begin(), added.end(),
                            [](const ModuleDescription& m) { return m.path.find("libz") != std::string::npos; }));
  }
  EXPECT_TRUE(Covered(map, function));
  EXPECT_FALSE(Covered(map, 16));
  dlclose(library);
}

}  // namespace
}  // namespace memledger
