// stack_records_test.cc — STACK, MODULE and LANGUAGE_FRAME records in the
// ledger: kept per process for symbolizing later, leak sites keyed by stack,
// and hostile payloads counted as invalid (src/ledger/ledger.h).
#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace memledger::ledger_test {
namespace {

class StackRecordsTest : public LedgerTest {
 protected:
  void Stack(ProcessIndex p, std::uint32_t id, std::vector<std::uint64_t> frames) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kStack);
    e.stack = id;
    Apply(p, e, EncodeStack(frames));
  }
  void Module(ProcessIndex p, std::string_view payload) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kModule);
    Apply(p, e, payload);
  }
  void Frame(ProcessIndex p, std::uint64_t value, std::string_view payload) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kLanguageFrame);
    e.address = value;
    Apply(p, e, payload);
  }
};

TEST_F(StackRecordsTest, StacksAndModulesAreKeptPerProcess) {
  const ProcessIndex a = Begin(1), b = Begin(2);
  Stack(a, 1, {0x401000, 0x402000});
  Stack(b, 1, {0x7f0000});
  Module(a, EncodeModule({0x400000, 0x400000, 0x500000, "\x01\x02", "/bin/app"}));
  EXPECT_EQ(ledger_.process(a).stacks.at(1), (std::vector<std::uint64_t>{0x401000, 0x402000}));
  EXPECT_EQ(ledger_.process(b).stacks.at(1), (std::vector<std::uint64_t>{0x7f0000}));
  ASSERT_EQ(ledger_.process(a).modules.size(), 1u);
  EXPECT_EQ(ledger_.process(a).modules[0].path, "/bin/app");
  EXPECT_EQ(ledger_.process(a).modules[0].build_id, "\x01\x02");
  EXPECT_TRUE(ledger_.process(b).modules.empty());
  EXPECT_EQ(AllAnomalies(a), 0u);
}

TEST_F(StackRecordsTest, AllocatorFramePatternsAreKeptOnceEachAndBounded) {
  const ProcessIndex p = Begin();
  const auto skip = [&](std::string_view pattern) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(EventKind::kSkipFrames);
    Apply(p, e, pattern);
  };
  skip("^tt::tt_metal::Buffer::");
  skip("^tt::tt_metal::Buffer::");
  skip("");
  skip("\xff(bad utf-8");
  EXPECT_EQ(ledger_.process(p).skip_frames,
            (std::vector<std::string>{"^tt::tt_metal::Buffer::", "\ufffd(bad utf-8"}));  // made valid
  for (int i = 0; i < 100; ++i) skip("pattern " + std::to_string(i));
  EXPECT_EQ(ledger_.process(p).skip_frames.size(), 64u);
  EXPECT_EQ(AllAnomalies(p), 0u);
}

TEST_F(StackRecordsTest, LeaksFromDifferentStacksAreDifferentSites) {
  const ProcessIndex p = Begin();
  Stack(p, 1, {0x1000});
  Stack(p, 2, {0x2000});
  Alloc(p, Buf{.id = 1, .address = 0x100, .size = 10, .stack = 1});
  Alloc(p, Buf{.id = 2, .address = 0x200, .size = 20, .stack = 1});
  Alloc(p, Buf{.id = 3, .address = 0x300, .size = 40, .stack = 2});
  ledger_.EndProcess(p, ProcessState::kExited, 0);
  ASSERT_EQ(ledger_.leak_sites().size(), 2u);
  for (const auto& [key, totals] : ledger_.leak_sites()) {
    EXPECT_EQ(totals.bytes, key.stack == 1 ? 30u : 40u);
  }
}

TEST_F(StackRecordsTest, AnomaliesAreNotedWithTheStacksOfBothSides) {
  const ProcessIndex p = Begin();
  Free(p, Buf{.id = 9, .stack = 3});                                  // unknown: only the free's stack
  Alloc(p, Buf{.id = 1, .address = 0x100, .size = 10, .stack = 1});
  Free(p, Buf{.id = 1, .stack = 2});
  Free(p, Buf{.id = 1, .stack = 2});                                  // double free
  Alloc(p, Buf{.id = 4, .address = 0x400, .size = 10, .stack = 1});
  Alloc(p, Buf{.id = 4, .address = 0x800, .size = 10, .stack = 5});  // double alloc: new and old alloc stacks
  Alloc(p, Buf{.id = 6, .address = 0x1000, .size = 64, .stack = 1});
  Alloc(p, Buf{.id = 7, .address = 0x1010, .size = 16, .stack = 6});  // overlaps 6 ...
  Free(p, Buf{.id = 6, .stack = 2});                                  // ... whose free came late
  Free(p, Buf{.id = 11});                                              // no stack either side: a site of its own
  const auto& sites = ledger_.anomaly_sites();
  const auto count = [&](Anomaly kind, std::uint32_t stack, std::uint32_t alloc_stack) {
    const auto it = sites.find(AnomalySiteKey{static_cast<std::uint32_t>(p), kind, stack, alloc_stack});
    return it == sites.end() ? 0u : it->second.count;
  };
  EXPECT_EQ(count(Anomaly::kUnknownFree, 3, 0), 1u);
  EXPECT_EQ(count(Anomaly::kDoubleFree, 2, 1), 1u) << "the second free's stack, the buffer's alloc stack";
  EXPECT_EQ(count(Anomaly::kDoubleAlloc, 5, 1), 1u);
  EXPECT_EQ(count(Anomaly::kLateFreeHook, 2, 1), 1u) << "the late free's stack, the older buffer's alloc stack";
  EXPECT_EQ(count(Anomaly::kUnknownFree, 0, 0), 1u);
  EXPECT_EQ(sites.size(), 5u);
  EXPECT_EQ(Anomalies(p, Anomaly::kUnknownFree), 2u);
}

TEST_F(StackRecordsTest, MalformedStacksAndModulesAreInvalid) {
  const ProcessIndex p = Begin();
  Stack(p, 0, {0x1000});  // id 0 means "no stack"
  Event e{};
  e.kind = static_cast<std::uint8_t>(EventKind::kStack);
  e.stack = 5;
  Apply(p, e, "odd");                                    // not whole addresses
  Apply(p, e, std::string(8 * (kMaxStackDepth + 1), 'x'));  // too deep
  Module(p, "short");
  std::string lying = EncodeModule({0, 0x2000, 0x1000, "", "/x"});  // start after end
  Module(p, lying);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 5u);
  EXPECT_TRUE(ledger_.process(p).stacks.empty());
  EXPECT_TRUE(ledger_.process(p).modules.empty());
}

TEST_F(StackRecordsTest, LanguageFramesAreKeptPerProcessByValue) {
  const ProcessIndex a = Begin(1), b = Begin(2);
  Frame(a, LanguageFrameValue(1), EncodeLanguageFrame({"leak_cache", "/app/train.py", 12}));
  Frame(b, LanguageFrameValue(1), EncodeLanguageFrame({"<module>", "/app/other.py", 3}));
  Stack(a, 1, {0x401000, LanguageFrameValue(1)});
  EXPECT_EQ(ledger_.process(a).language_frames.at(LanguageFrameValue(1)),
            (LanguageFrame{"leak_cache", "/app/train.py", 12}));
  EXPECT_EQ(ledger_.process(b).language_frames.at(LanguageFrameValue(1)).function, "<module>");
  EXPECT_EQ(ledger_.process(a).stacks.at(1), (std::vector<std::uint64_t>{0x401000, LanguageFrameValue(1)}));
  EXPECT_EQ(AllAnomalies(a) + AllAnomalies(b), 0u);
}

TEST_F(StackRecordsTest, MalformedLanguageFramesAreInvalid) {
  const ProcessIndex p = Begin();
  Frame(p, 0x401000, EncodeLanguageFrame({"f", "f.py", 1}));  // a native address is not a language frame
  Frame(p, LanguageFrameValue(2), "short");
  std::string lying = EncodeLanguageFrame({"function", "", 1});
  lying.resize(lying.size() - 1);  // function longer than the payload
  Frame(p, LanguageFrameValue(3), lying);
  EXPECT_EQ(Anomalies(p, Anomaly::kInvalidEvent), 3u);
  EXPECT_TRUE(ledger_.process(p).language_frames.empty());
}

}  // namespace
}  // namespace memledger::ledger_test
