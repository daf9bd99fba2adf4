// site_stack_test.cc — sites as a person reads them (src/report/site_stack.h,
// frame_roles.h, merged_sites.h): whose each frame is, the runs of the
// runtime's and the allocator's frames folded, names shortened, headlines
// that tell every site apart, and sites merged by the frames they show.
// Frames come from a table standing in for the symbolizer (table_symbols.h).
#include "report/site_stack.h"

#include <gtest/gtest.h>

#include <map>

#include "report/frame_roles.h"
#include "report/merged_sites.h"
#include "table_symbols.h"

namespace memledger {
namespace {

SymbolizedFrame Frame(std::uint64_t address, std::string function, std::string file, int line,
                      std::string module = "/opt/app/bin/sim") {
  return SymbolizedFrame{.address = address, .function = std::move(function), .file = std::move(file), .line = line,
                         .module = std::move(module)};
}

// The simulator's leak: its allocator's frames, the user's, std::function's.
struct LeakStacks : ::testing::Test {
  TableSymbols symbols;
  ProcessBooks books;
  void SetUp() override {
    books.skip_frames = {"^memledger::sim::(Device|Buffer)::|(^|/)sim/device\\.cc$"};
    symbols.frames = {
        {1, Frame(1, "ReportAlloc", "/src/sim/device.cc", 42)},
        {2, Frame(2, "memledger::sim::Device::Allocate(memledger::MemType, unsigned long)", "/src/sim/device.cc", 97)},
        {3, Frame(3, "memledger::sim::Buffer::Allocate(memledger::sim::Device&)", "/src/sim/buffer.cc", 9)},
        {4, Frame(4, "AllocateAndLeak", "/src/sim/workload/leak_sites.cc", 17)},
        {5, Frame(5, "memledger::sim::leak_weights(memledger::sim::Device&)", "/src/sim/workload/leak_sites.cc", 27)},
        {6, Frame(6, "memledger::sim::leak_kv_cache(memledger::sim::Device&)", "/src/sim/workload/leak_sites.cc", 32)},
        {7, Frame(7, "__invoke_impl<void, std::function<void (unsigned long)>&>", "/usr/include/c++/12/bits/invoke.h", 61)},
        {8, Frame(8, "std::function<void (unsigned long)>::operator()(unsigned long) const",
                  "/usr/include/c++/12/bits/std_function.h", 591)},
        {9, Frame(9, "main", "/src/sim/main.cc", 12)},
        {10, Frame(10, "start_thread", "", 0, "/lib/x86_64-linux-gnu/libc.so.6")},
        // Another return address within the same line as 4.
        {14, Frame(14, "AllocateAndLeak", "/src/sim/workload/leak_sites.cc", 17)},
    };
    books.stacks[1] = {1, 2, 3, 4, 5, 7, 8, 9, 10};
    books.stacks[2] = {1, 2, 3, 4, 6, 7, 8, 9, 10};
    books.stacks[3] = {1, 2, 3, 14, 5, 7, 8, 9, 10};  // stack 1 but for a return address
    books.stacks[4] = {1, 2, 4, 5, 9};                 // stack 1 with fewer allocator and runtime frames
  }
};

TEST_F(LeakStacks, FramesOfTheAllocatorAndTheRuntimeFoldIntoOneLineEach) {
  SiteStacks stacks(symbols, StackOptions{});
  const SiteStack& stack = stacks.Read(books, 1);
  EXPECT_EQ(stack.first_user, 3u);
  EXPECT_EQ(stacks.Lines(stack),
            (std::vector<std::string>{
                "\u2026 3 frames of the allocator (ReportAlloc, Device::Allocate, Buffer::Allocate)",
                "#3 AllocateAndLeak at /src/sim/workload/leak_sites.cc:17",
                "#4 memledger::sim::leak_weights(memledger::sim::Device&) at /src/sim/workload/leak_sites.cc:27",
                "\u2026 2 frames of the runtime (__invoke_impl<\u2026>, function<\u2026>::operator())",
                "#7 main at /src/sim/main.cc:12",
                "\u2026 1 frame of the runtime (start_thread)",
            }));
}

TEST_F(LeakStacks, FullStacksShowEveryFrameWhole) {
  SiteStacks stacks(symbols, StackOptions{.full = true});
  const auto lines = stacks.Lines(stacks.Read(books, 1));
  ASSERT_EQ(lines.size(), 9u);
  EXPECT_EQ(lines[5], "#5 __invoke_impl<void, std::function<void (unsigned long)>&> at /usr/include/c++/12/bits/invoke.h:61");
}

TEST_F(LeakStacks, AFrameLineStaysShortWhateverItsNameAndPath) {
  // An unoptimized build's lambda in a lambda, in a deep build tree.
  const std::string lambda = "memledger::sim::RunLeaky(memledger::sim::WorkloadOptions const&)::{lambda(int)#1}::"
                             "operator()(int) const::{lambda(unsigned int)#1}::operator()(unsigned int) const::"
                             "{lambda(unsigned long)#1}::operator()(unsigned long) const";
  symbols.frames[20] = Frame(20, lambda, "/" + std::string(150, 'd') + "/src/sim/workload/leaky.cc", 40);
  books.stacks[9] = {1, 20};
  SiteStacks stacks(symbols, StackOptions{});
  const auto lines = stacks.Lines(stacks.Read(books, 9));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_LE(lines[1].size(), 190u) << lines[1];
  EXPECT_NE(lines[1].find("/src/sim/workload/leaky.cc:40"), std::string::npos) << lines[1];
  EXPECT_EQ(lines[1].rfind("#1 memledger::sim::RunLeaky(", 0), 0u) << lines[1];
}

TEST_F(LeakStacks, DepthCountsTheUsersFramesFromTheHeadline) {
  SiteStacks stacks(symbols, StackOptions{.depth = 1});
  const auto lines = stacks.Lines(stacks.Read(books, 1));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "#3 AllocateAndLeak at /src/sim/workload/leak_sites.cc:17");
  EXPECT_EQ(lines[2], "\u2026 5 more frames");
}

TEST_F(LeakStacks, HeadlinesAddTheCallersThatTellSitesApart) {
  SiteStacks stacks(symbols, StackOptions{});
  const SiteStack& weights = stacks.Read(books, 1);
  const SiteStack& kv_cache = stacks.Read(books, 2);
  EXPECT_EQ(stacks.Headline(weights), "AllocateAndLeak \u2190 leak_weights at leak_sites.cc:27");
  EXPECT_EQ(stacks.Headline(kv_cache), "AllocateAndLeak \u2190 leak_kv_cache at leak_sites.cc:32");
}

TEST_F(LeakStacks, ASiteAloneIsNamedByItsFirstFrameOfTheUsers) {
  SiteStacks stacks(symbols, StackOptions{});
  EXPECT_EQ(stacks.Headline(stacks.Read(books, 1)), "AllocateAndLeak at leak_sites.cc:17");
}

TEST_F(LeakStacks, StacksThatShowTheSameFramesAreOneSite) {
  SiteStacks stacks(symbols, StackOptions{});
  const SiteStack& one = stacks.Read(books, 1);
  EXPECT_EQ(one.identity, stacks.Read(books, 3).identity);  // another return address in the same line
  EXPECT_EQ(one.identity, stacks.Read(books, 4).identity);  // other folded frames
  EXPECT_NE(one.identity, stacks.Read(books, 2).identity);
}

TEST_F(LeakStacks, OneSiteOnTwoDevicesIsOneMergedSiteWithTwoPlaces) {
  Ledger ledger;
  const ProcessIndex process = ledger.BeginProcess(1, "sim");
  std::uint64_t seq = 0;
  const auto apply = [&](EventKind kind, std::uint32_t stack, const std::string& payload) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(kind);
    e.stack = stack;
    e.seq = ++seq;
    e.payload_bytes = static_cast<std::uint32_t>(payload.size());
    ledger.Apply(process, Record{e, payload});
  };
  apply(EventKind::kSkipFrames, 0, books.skip_frames[0]);
  for (const auto& [id, frames] : books.stacks) apply(EventKind::kStack, id, EncodeStack(frames));
  SiteStacks stacks(symbols, StackOptions{});
  SiteMerger merger(ledger, stacks);
  const auto p = static_cast<std::uint32_t>(process);
  merger.Add(1, SitePlace{p, 0, MEMLEDGER_DRAM, 0, 100, 1});
  merger.Add(3, SitePlace{p, 1, MEMLEDGER_DRAM, 0, 300, 1});
  merger.Add(2, SitePlace{p, 0, MEMLEDGER_DRAM, 0, 50, 1});
  merger.Add(0, SitePlace{p, 0, MEMLEDGER_L1, 0, 7, 1});  // no stack: a site of its own place
  merger.Add(0, SitePlace{p, 1, MEMLEDGER_L1, 0, 5, 1});
  const auto sites = merger.Take(SiteOrder::kBytes);
  ASSERT_EQ(sites.size(), 4u);
  EXPECT_EQ(sites[0].bytes, 400u);
  ASSERT_EQ(sites[0].places.size(), 2u);
  EXPECT_EQ(sites[0].places[0].device, 1u);  // the larger place first
  EXPECT_EQ(sites[1].bytes, 50u);
  EXPECT_EQ(sites[2].bytes, 7u);
  EXPECT_EQ(sites[3].bytes, 5u);
}

TEST(Headlines, EverySiteAHeadlineOfItsOwn) {
  const auto site = [](std::vector<SiteFrame> frames, std::string identity) {
    return SiteStack{.frames = std::move(frames), .first_user = 0, .identity = std::move(identity)};
  };
  const SiteFrame f{"f()", "/a/x.cc:1", FrameRole::kUser, "x.cc:1"};
  const SiteFrame g1{"g()", "/a/y.cc:2", FrameRole::kUser, "y.cc:2"};
  const SiteFrame g2{"g()", "/b/y.cc:2", FrameRole::kUser, "y.cc:2"};  // differs in its path only
  const SiteStack a = site({f, g1}, "a"), b = site({f, g2}, "b"), a_again = site({f, g1}, "a"), none = site({}, "");
  EXPECT_EQ(Headlines({&a, &b, &a_again, &none}),
            (std::vector<std::string>{"f \u2190 g at y.cc:2", "f \u2190 g at y.cc:2 [2]", "f \u2190 g at y.cc:2",
                                      "(no stack: MEMLEDGER_STACKS=1 records them)"}));
}

TEST(ShortFunctionName, TemplatesAndLambdasShortenedOperatorsKept) {
  EXPECT_EQ(ShortFunctionName("std::vector<std::pair<int, long>, std::allocator<int> >::push_back(int const&)"),
            "std::vector<\u2026>::push_back(int const&)");
  EXPECT_EQ(ShortFunctionName("ns::Run(ns::Options const&)::{lambda(std::vector<int> const&)#1}::operator()(int) const"),
            "ns::Run(\u2026)::{lambda(\u2026)#1}::operator()(int) const");
  EXPECT_EQ(ShortFunctionName("ns::Run(int)::{lambda(\u2026)}::operator()::{lambda(\u2026)}::operator()"),
            "ns::Run(\u2026)::{lambda(\u2026)}::operator()::{lambda(\u2026)}::operator()")
      << "lambdas in lambdas as the symbolizer names them inlined: a call operator is not parameters";
  EXPECT_EQ(ShortFunctionName("operator<<(std::ostream&, Foo const&)"), "operator<<(std::ostream&, Foo const&)");
  EXPECT_EQ(ShortFunctionName("a::operator->() const"), "a::operator->() const");
  EXPECT_EQ(ShortFunctionName("ns::(anonymous namespace)::Widget::make(int)"),
            "ns::(anonymous namespace)::Widget::make(int)")
      << "an unnamed namespace is no parameter list";
  const std::string cut = ShortFunctionName(std::string(100, 'a') + "\u00e9" + std::string(100, 'b'), 101);
  EXPECT_LE(cut.size(), 101u + 2);
  EXPECT_NE(cut.find("\u2026"), std::string::npos);
}

TEST(BareFunctionName, TheLastNameWithItsClass) {
  EXPECT_EQ(BareFunctionName("memledger::sim::leak_weights(memledger::sim::Device&)"), "leak_weights");
  EXPECT_EQ(BareFunctionName("memledger::sim::Device::Allocate(memledger::MemType) const"), "Device::Allocate");
  EXPECT_EQ(BareFunctionName("ns::Run(ns::Options const&)::{lambda(int)#1}::operator()(int) const"), "lambda in Run");
  EXPECT_EQ(BareFunctionName("ns::Run(int)::{lambda(int)#1}::operator()(int) const::{lambda()#2}::operator()() const"),
            "lambda in Run")
      << "a lambda in a lambda: the function they are in";
  EXPECT_EQ(BareFunctionName("ns::Run(int)::{lambda(\u2026)}::operator()"), "lambda in Run")
      << "as the symbolizer names an inlined lambda from its DWARF";
  EXPECT_EQ(BareFunctionName("{lambda(int)#1}::operator()(int) const"), "{lambda(\u2026)#1}::operator()")
      << "in no function it names: as it is";
  EXPECT_EQ(BareFunctionName("AllocateAndLeak"), "AllocateAndLeak");
  EXPECT_EQ(BareFunctionName("(anonymous namespace)::Buffers_ForgottenFree_Test::TestBody"),
            "Buffers_ForgottenFree_Test::TestBody")
      << "a GoogleTest body: its test's class";
  EXPECT_EQ(BareFunctionName("ns::(anonymous namespace)::helper(int)"), "helper");
}

TEST(FrameRoles, RuntimeByItsHeadersLibrariesAndStartAllocatorByPattern) {
  FrameRoles roles;
  std::string error;
  ASSERT_TRUE(roles.AddAllocatorPattern("^tt::tt_metal::Buffer::|/allocator\\.cpp$", &error)) << error;
  EXPECT_EQ(roles.RoleOf(Frame(1, "tt::tt_metal::Buffer::create(int)", "/tt/buffer.cpp", 3)), FrameRole::kAllocator);
  EXPECT_EQ(roles.RoleOf(Frame(1, "Bank::take", "/tt/allocator.cpp", 3)), FrameRole::kAllocator);
  EXPECT_EQ(roles.RoleOf(Frame(1, "_M_invoke", "/usr/include/c++/12/bits/std_function.h", 290)), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "__gthread_mutex_unlock",
                               "/usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h", 779)),
            FrameRole::kRuntime)
      << "libstdc++'s multiarch headers: a mutex's inlined unlock";
  EXPECT_EQ(roles.RoleOf(Frame(1, "", "", 0, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6")), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "_start", "", 0)), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "model::forward()", "/app/model.cc", 8)), FrameRole::kUser);
  // The function that holds the code names the frame when its line is a
  // standard header's inlined with no scope of its own.
  const std::string header = "/usr/include/c++/12/optional";
  EXPECT_EQ(roles.RoleOf(Frame(1, "app::Run(int)::{lambda(int)#1}::operator()(int) const", header, 287)),
            FrameRole::kUser);
  EXPECT_EQ(roles.RoleOf(Frame(1, "std::function<void (int)>::operator()(int) const", header, 591)),
            FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "void std::__invoke_impl<void, F>(std::__invoke_other, F&&)", header, 61)),
            FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "__gnu_cxx::__normal_iterator<int*>::operator++()", header, 1)), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "operator()", header, 259)), FrameRole::kRuntime) << "a bare name: std's inlined";
  EXPECT_EQ(roles.RoleOf(Frame(1, "__invoke_impl<void, std::function<void (int)>&>", header, 61)), FrameRole::kRuntime)
      << "a bare name with qualified template arguments";
  SymbolizedFrame inlined = Frame(1, "app::Run(int)", header, 287);
  inlined.inlined = true;
  EXPECT_EQ(roles.RoleOf(inlined), FrameRole::kRuntime) << "inlined: the header's own code";
  EXPECT_FALSE(roles.AddAllocatorPattern("(unclosed", &error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(roles.pattern_count(), 1u);
}

TEST(FrameRoles, InstalledPythonCodeIsTheRuntimesTheTreesIsTheUsers) {
  FrameRoles roles;
  const auto language = [](std::string file) {
    return SymbolizedFrame{.address = 7, .function = "f", .file = std::move(file), .line = 3};
  };
  EXPECT_EQ(roles.RoleOf(language("/usr/lib/python3/dist-packages/_pytest/python.py")), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(language("/home/u/.venv/lib/python3.11/site-packages/ttnn/core.py")), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(language("/usr/lib/python3.11/runpy.py")), FrameRole::kRuntime) << "the standard library";
  EXPECT_EQ(roles.RoleOf(language("/home/u/model/tests/test_ops.py")), FrameRole::kUser);
  EXPECT_EQ(roles.RoleOf(language("/home/u/lib/python3-tools/x.py")), FrameRole::kUser) << "not a python3.N tree";
  EXPECT_EQ(roles.RoleOf(Frame(1, "g", "/src/site-packages/g.cc", 1)), FrameRole::kUser)
      << "a native frame (it has a module) is judged by its module";
}

TEST(FrameRoles, GoogleTestsMachineryIsTheRuntimes) {
  FrameRoles roles;
  EXPECT_EQ(roles.RoleOf(Frame(1, "void testing::internal::HandleExceptionsInMethodIfSupported<testing::Test, void>("
                                  "testing::Test*, void (testing::Test::*)(), char const*)", "", 0)),
            FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "testing::Test::Run()", "", 0)), FrameRole::kRuntime);
  EXPECT_EQ(roles.RoleOf(Frame(1, "Buffers_ForgottenFree_Test::TestBody()", "/src/device_tests.cc", 55)),
            FrameRole::kUser);
  EXPECT_EQ(roles.RoleOf(Frame(1, "mytesting::Run()", "/src/run.cc", 5)), FrameRole::kUser);
}

TEST(SiteStacks, AReportsBadPatternIsSaidAndLeftOut) {
  TableSymbols symbols;
  SiteStacks stacks(symbols, StackOptions{.skip_patterns = {"ok", "(bad"}});
  ASSERT_EQ(stacks.pattern_errors().size(), 1u);
  EXPECT_EQ(stacks.pattern_errors()[0].rfind("(bad: ", 0), 0u) << stacks.pattern_errors()[0];
}

}  // namespace
}  // namespace memledger
