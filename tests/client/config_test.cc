// config_test.cc — ParseClientConfig: every variable's good values, and for
// every bad value exactly one warning line while the default stays
// (src/client/config.h; the table in DESIGN.md, "Configuration").
#include "client/config.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace memledger {
namespace {

struct Parsed {
  ClientConfig config;
  std::vector<std::string> warnings;
};
Parsed Parse(const std::map<std::string, std::string>& env) {
  Parsed out;
  out.config = ParseClientConfig(
      [&env](const char* name) -> const char* {
        const auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      &out.warnings);
  return out;
}

// One warning, one line, naming the variable and the value.
void ExpectOneWarning(const Parsed& parsed, const std::string& name, const std::string& value) {
  ASSERT_EQ(parsed.warnings.size(), 1u) << name << "='" << value << "'";
  const std::string& w = parsed.warnings[0];
  EXPECT_EQ(w.rfind("memledger: ", 0), 0u) << w;
  EXPECT_NE(w.find(name + "='" + value + "'"), std::string::npos) << w;
  EXPECT_TRUE(w.find("; using ") != std::string::npos || w.find("; ignoring it") != std::string::npos)
      << "says what it does instead: " << w;
  EXPECT_EQ(w.find('\n'), std::string::npos) << "one line: " << w;
}

void ExpectDefaults(const ClientConfig& config) {
  EXPECT_FALSE(config.enabled);
  EXPECT_EQ(config.output, "");
  EXPECT_EQ(config.ring_slots, 0u) << "by mode";
  EXPECT_EQ(config.RingSlots(/*for_server=*/false), std::uint64_t{1} << 16) << "4 MiB of 64-byte slots";
  EXPECT_EQ(config.RingSlots(/*for_server=*/true), std::uint64_t{1} << 19) << "32 MiB of 64-byte slots";
  EXPECT_EQ(config.on_full, OnFull::kBlock);
  EXPECT_TRUE(config.exit_report);
}

TEST(ParseClientConfig, EmptyEnvironmentGivesTheDefaultsSilently) {
  const Parsed parsed = Parse({});
  ExpectDefaults(parsed.config);
  EXPECT_TRUE(parsed.warnings.empty());
}

// The spellings every switch accepts, in any case.
constexpr const char* kOnSpellings[] = {"1", "true", "yes", "on", "TRUE", "True", "YES", "On", "oN"};
constexpr const char* kOffSpellings[] = {"0", "false", "no", "off", "", "FALSE", "False", "NO", "Off"};
constexpr const char* kNotSwitches[] = {"2", "enable", " 1", "1 ", "y", "t", "yes!", "-1", "ja"};

TEST(ParseClientConfig, MemledgerTurnsTrackingOnAndOff) {
  for (const char* on : kOnSpellings) {
    const Parsed parsed = Parse({{"MEMLEDGER", on}});
    EXPECT_TRUE(parsed.config.enabled) << on;
    EXPECT_TRUE(parsed.warnings.empty()) << on;
  }
  for (const char* off : kOffSpellings) {
    const Parsed parsed = Parse({{"MEMLEDGER", off}});
    EXPECT_FALSE(parsed.config.enabled) << off;
    EXPECT_TRUE(parsed.warnings.empty()) << off;
  }
}

TEST(ParseClientConfig, LegacyAliasTurnsTrackingOn) {
  const Parsed parsed = Parse({{"TT_ALLOC_TRACKING_ENABLED", "1"}});
  EXPECT_TRUE(parsed.config.enabled);
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_FALSE(Parse({{"TT_ALLOC_TRACKING_ENABLED", "0"}}).config.enabled);
}

TEST(ParseClientConfig, BadSwitchValuesWarnOnceAndStayOff) {
  for (const std::string name : {"MEMLEDGER", "TT_ALLOC_TRACKING_ENABLED"}) {
    for (const std::string value : kNotSwitches) {
      SCOPED_TRACE(name + "=" + value);
      const Parsed parsed = Parse({{name, value}});
      ExpectOneWarning(parsed, name, value);
      EXPECT_NE(parsed.warnings[0].find("1/0, true/false, yes/no, on/off"), std::string::npos)
          << "says what it takes: " << parsed.warnings[0];
      ExpectDefaults(parsed.config);
    }
  }
}

TEST(ParseClientConfig, OutputIsTakenAsGiven) {
  const Parsed parsed = Parse({{"MEMLEDGER_OUTPUT", "/tmp/run-%p.mlcap"}});
  EXPECT_EQ(parsed.config.output, "/tmp/run-%p.mlcap");
  EXPECT_FALSE(parsed.config.output_placed_by_run);
  EXPECT_TRUE(parsed.warnings.empty());
}

TEST(ParseClientConfig, MemledgerRunSaysItPlacesTheOutput) {
  EXPECT_TRUE(Parse({{"MEMLEDGER_OUTPUT_BY_RUN", "1"}}).config.output_placed_by_run);
  EXPECT_FALSE(Parse({{"MEMLEDGER_OUTPUT_BY_RUN", "0"}}).config.output_placed_by_run);
}

// Every switch (a variable that is on or off) takes the same spellings, in
// any case, and anything else gets one warning line naming the variable, the
// value and what it takes; its default stays.
TEST(ParseClientConfig, EverySwitchTakesTheUsualSpellingsOrWarns) {
  struct Switch {
    const char* name;
    std::function<bool(const ClientConfig&)> on;
    bool default_on;
  };
  const Switch switches[] = {
      {"MEMLEDGER", [](const ClientConfig& c) { return c.enabled; }, false},
      {"TT_ALLOC_TRACKING_ENABLED", [](const ClientConfig& c) { return c.enabled; }, false},
      {"MEMLEDGER_OUTPUT_BY_RUN", [](const ClientConfig& c) { return c.output_placed_by_run; }, false},
      {"MEMLEDGER_STACKS", [](const ClientConfig& c) { return c.stacks == StackUnwinder::kFramePointers; }, false},
      {"TT_BUFFER_DEBUG_LOG", [](const ClientConfig& c) { return c.stacks != StackUnwinder::kOff && !c.log.empty(); },
       false},
      {"MEMLEDGER_REPORT", [](const ClientConfig& c) { return c.exit_report; }, true},
  };
  for (const Switch& s : switches) {
    for (const char* on : kOnSpellings) {
      SCOPED_TRACE(std::string(s.name) + "=" + on);
      const Parsed parsed = Parse({{s.name, on}});
      EXPECT_TRUE(s.on(parsed.config));
      EXPECT_TRUE(parsed.warnings.empty()) << parsed.warnings[0];
    }
    for (const char* off : kOffSpellings) {
      SCOPED_TRACE(std::string(s.name) + "=" + off);
      const Parsed parsed = Parse({{s.name, off}});
      EXPECT_FALSE(s.on(parsed.config));
      EXPECT_TRUE(parsed.warnings.empty()) << parsed.warnings[0];
    }
    for (const char* bad : kNotSwitches) {
      SCOPED_TRACE(std::string(s.name) + "=" + bad);
      const Parsed parsed = Parse({{s.name, bad}});
      ExpectOneWarning(parsed, s.name, bad);
      if (!parsed.warnings.empty()) {
        EXPECT_NE(parsed.warnings[0].find("1/0, true/false, yes/no, on/off"), std::string::npos) << parsed.warnings[0];
      }
      EXPECT_EQ(s.on(parsed.config), s.default_on);
    }
  }
}

TEST(ParseClientConfig, RingSizeAcceptsBytesWithBinarySuffixes) {
  const std::pair<const char*, std::uint64_t> cases[] = {
      {"65536", 1024},       {"64K", 1024},         {"64k", 1024},          {"64KiB", 1024},
      {"100K", 2048},        {"65537", 1024},       {"32M", 1 << 19},       {"32m", 1 << 19},
      {"1MiB", 1 << 14},     {"1G", 1 << 24},       {"1g", 1 << 24},        {"1GiB", 1 << 24},
      {"3G", 1 << 26},       {"4G", 1 << 26},       {"4294967296", 1 << 26},
  };
  for (const auto& [value, slots] : cases) {
    const Parsed parsed = Parse({{"MEMLEDGER_RING_SIZE", value}});
    EXPECT_EQ(parsed.config.ring_slots, slots) << value;
    EXPECT_EQ(parsed.config.RingSlots(true), slots) << value << ": the size asked for, whoever drains it";
    EXPECT_EQ(parsed.config.RingSlots(false), slots) << value;
    EXPECT_TRUE(parsed.warnings.empty()) << value;
  }
}

TEST(ParseClientConfig, BadOrOutOfRangeRingSizeWarnsOnceAndKeepsTheDefault) {
  for (const std::string value :
       {"", "0", "63K", "65535", "5G", "8G", "4097M", "abc", "-1", "12Q", "1.5M", "32MB", " 32M", "32M ",
        "99999999999999999999", "17179869184G", "18014398509481984M"}) {
    SCOPED_TRACE("MEMLEDGER_RING_SIZE=" + value);
    const Parsed parsed = Parse({{"MEMLEDGER_RING_SIZE", value}});
    ExpectOneWarning(parsed, "MEMLEDGER_RING_SIZE", value);
    EXPECT_EQ(parsed.config.ring_slots, 0u);
  }
}

TEST(ParseClientConfig, OutputRotatesBySizeOrTimeAndKeepsTheLastSegments) {
  Parsed parsed = Parse({{"MEMLEDGER_OUTPUT_ROTATE_BYTES", "256M"},
                         {"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "1h"},
                         {"MEMLEDGER_OUTPUT_KEEP", "24"}});
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(parsed.config.output_segments.max_bytes, 256u << 20);
  EXPECT_EQ(parsed.config.output_segments.max_ns, 3600'000'000'000u);
  EXPECT_EQ(parsed.config.output_segments.keep, 24u);
  EXPECT_FALSE(Parse({}).config.output_segments.rotates()) << "one file unless asked";

  parsed = Parse({{"MEMLEDGER_OUTPUT_ROTATE_BYTES", "1K"}});
  ExpectOneWarning(parsed, "MEMLEDGER_OUTPUT_ROTATE_BYTES", "1K");
  EXPECT_EQ(parsed.config.output_segments.max_bytes, kMinSegmentBytes) << "raised to the least a segment takes";
  parsed = Parse({{"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "1ms"}});
  ExpectOneWarning(parsed, "MEMLEDGER_OUTPUT_ROTATE_SECONDS", "1ms");
  EXPECT_EQ(parsed.config.output_segments.max_ns, 1'000'000'000u) << "a segment spans at least a second";
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"MEMLEDGER_OUTPUT_ROTATE_BYTES", "lots"},
           {"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "-5"},
           {"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "1 day"},
           {"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "1e300h"},
           {"MEMLEDGER_OUTPUT_KEEP", "-1"},
           {"MEMLEDGER_OUTPUT_KEEP", "all"}}) {
    SCOPED_TRACE(name + "=" + value);
    parsed = Parse({{name, value}});
    ExpectOneWarning(parsed, name, value);
    EXPECT_FALSE(parsed.config.output_segments.rotates());
    EXPECT_EQ(parsed.config.output_segments.keep, 0u);
  }
  // Under `memledger run` (its --rotate-* set these) a process's capture is cut too.
  parsed = Parse({{"MEMLEDGER_OUTPUT_BY_RUN", "1"}, {"MEMLEDGER_OUTPUT_ROTATE_SECONDS", "60"}});
  EXPECT_TRUE(parsed.warnings.empty());
  EXPECT_EQ(parsed.config.output_segments.max_ns, 60'000'000'000u);
}

TEST(ParseClientConfig, OnFullChoosesBlockOrDrop) {
  EXPECT_EQ(Parse({{"MEMLEDGER_ON_FULL", "drop"}}).config.on_full, OnFull::kDrop);
  EXPECT_EQ(Parse({{"MEMLEDGER_ON_FULL", "block"}}).config.on_full, OnFull::kBlock);
  EXPECT_TRUE(Parse({{"MEMLEDGER_ON_FULL", "drop"}}).warnings.empty());
  for (const std::string value : {"", "Drop", "lossy", "drop "}) {
    SCOPED_TRACE("MEMLEDGER_ON_FULL=" + value);
    const Parsed parsed = Parse({{"MEMLEDGER_ON_FULL", value}});
    ExpectOneWarning(parsed, "MEMLEDGER_ON_FULL", value);
    EXPECT_EQ(parsed.config.on_full, OnFull::kBlock);
  }
}

TEST(ParseClientConfig, ReportCanBeSilenced) {
  EXPECT_FALSE(Parse({{"MEMLEDGER_REPORT", "0"}}).config.exit_report);
  EXPECT_FALSE(Parse({{"MEMLEDGER_REPORT", "off"}}).config.exit_report);
  EXPECT_TRUE(Parse({{"MEMLEDGER_REPORT", "1"}}).config.exit_report);
  for (const std::string value : {"maybe", "2"}) {
    SCOPED_TRACE("MEMLEDGER_REPORT=" + value);
    const Parsed parsed = Parse({{"MEMLEDGER_REPORT", value}});
    ExpectOneWarning(parsed, "MEMLEDGER_REPORT", value);
    EXPECT_TRUE(parsed.config.exit_report);
  }
}

TEST(ParseClientConfig, EachBadValueGetsItsOwnLineAndGoodOnesStillApply) {
  const Parsed parsed = Parse({{"MEMLEDGER", "1"},
                               {"TT_ALLOC_TRACKING_ENABLED", "bogus"},
                               {"MEMLEDGER_RING_SIZE", "1T"},
                               {"MEMLEDGER_ON_FULL", "sometimes"},
                               {"MEMLEDGER_REPORT", "loud"},
                               {"MEMLEDGER_OUTPUT", "out.mlcap"}});
  ASSERT_EQ(parsed.warnings.size(), 4u);
  for (const char* name : {"TT_ALLOC_TRACKING_ENABLED=", "MEMLEDGER_RING_SIZE=", "MEMLEDGER_ON_FULL=",
                           "MEMLEDGER_REPORT="}) {
    int lines = 0;
    for (const std::string& w : parsed.warnings) lines += w.find(name) != std::string::npos;
    EXPECT_EQ(lines, 1) << name;
  }
  EXPECT_TRUE(parsed.config.enabled) << "a bad alias does not undo a good MEMLEDGER=1";
  EXPECT_EQ(parsed.config.output, "out.mlcap");
  EXPECT_EQ(parsed.config.ring_slots, 0u);
  EXPECT_EQ(parsed.config.on_full, OnFull::kBlock);
  EXPECT_TRUE(parsed.config.exit_report);
}

}  // namespace
}  // namespace memledger

namespace memledger {
namespace {

TEST(ParseClientConfig, StacksAreOffByDefaultAndTakeTheirUnwinder) {
  EXPECT_EQ(Parse({}).config.stacks, StackUnwinder::kOff);
  EXPECT_EQ(Parse({}).config.stack_depth, kDefaultStackDepth);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "1"}}).config.stacks, StackUnwinder::kFramePointers);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "fp"}}).config.stacks, StackUnwinder::kFramePointers);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "unwind"}}).config.stacks, StackUnwinder::kLibunwind);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "FP"}}).config.stacks, StackUnwinder::kFramePointers);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "Unwind"}}).config.stacks, StackUnwinder::kLibunwind);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACKS", "0"}}).config.stacks, StackUnwinder::kOff);
  EXPECT_EQ(Parse({{"TT_BUFFER_DEBUG_LOG", "1"}}).config.stacks, StackUnwinder::kFramePointers);
  EXPECT_EQ(Parse({{"TT_BUFFER_DEBUG_LOG", "1"}, {"MEMLEDGER_STACKS", "unwind"}}).config.stacks,
            StackUnwinder::kLibunwind);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACK_DEPTH", "16"}}).config.stack_depth, 16u);
  EXPECT_EQ(Parse({{"MEMLEDGER_STACK_DEPTH", "64"}}).config.stack_depth, 64u);
}

TEST(ParseClientConfig, BadStackValuesWarnOnceAndKeepTheDefault) {
  for (const char* bad : {"yes please", "lbr", "2"}) {
    const Parsed parsed = Parse({{"MEMLEDGER_STACKS", bad}});
    ExpectOneWarning(parsed, "MEMLEDGER_STACKS", bad);
    EXPECT_EQ(parsed.config.stacks, StackUnwinder::kOff);
  }
  for (const char* bad : {"0", "65", "16x", "", "-1", "99999999999"}) {
    const Parsed parsed = Parse({{"MEMLEDGER_STACK_DEPTH", bad}});
    ExpectOneWarning(parsed, "MEMLEDGER_STACK_DEPTH", bad);
    EXPECT_EQ(parsed.config.stack_depth, kDefaultStackDepth);
  }
  const Parsed parsed = Parse({{"TT_BUFFER_DEBUG_LOG", "maybe"}});
  ExpectOneWarning(parsed, "TT_BUFFER_DEBUG_LOG", "maybe");
  EXPECT_EQ(parsed.config.stacks, StackUnwinder::kOff);
}

}  // namespace
}  // namespace memledger
