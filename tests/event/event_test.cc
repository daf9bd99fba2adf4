// event_test.cc — the fixed event layout and the names of event kinds and
// built-in memory types (src/event/event.h).
#include "event/event.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <iterator>
#include <string_view>

namespace memledger {
namespace {

TEST(EventLayout, SeqIsTheFirstWordAndAContinuationSlotCarriesTheRest) {
  EXPECT_EQ(offsetof(Event, seq), 0u);
  EXPECT_EQ(kContinuationPayload, 56u);
  EXPECT_EQ(ContinuationSlots(0), 0u);
  EXPECT_EQ(ContinuationSlots(1), 1u);
  EXPECT_EQ(ContinuationSlots(56), 1u);
  EXPECT_EQ(ContinuationSlots(57), 2u);
  EXPECT_EQ(ContinuationSlots(112), 2u);
  EXPECT_EQ(ContinuationSlots(113), 3u);
  EXPECT_EQ(ContinuationSlots(kMaxPayloadBytes), 74u);
}

TEST(KindName, NamesEveryKind) {
  constexpr std::string_view kExpected[] = {"INVALID",     "ALLOC",        "FREE", "CB_ALLOC", "CB_FREE",
                                            "KERNEL_LOAD", "KERNEL_UNLOAD", "DEVICE_OPEN", "DEVICE_CLOSE",
                                            "TAG",         "MARK",          "POOL", "PROCESS",  "PROCESS_END",
                                            "STACK",       "MODULE",        "LANGUAGE_FRAME", "SKIP_FRAMES", "ALLOC_FAILED",
                                            "CHECKPOINT",  "CHECKPOINT_END"};
  static_assert(std::size(kExpected) == kLastEventKind + 1);
  for (int kind = 0; kind <= kLastEventKind; ++kind) {
    EXPECT_EQ(KindName(static_cast<EventKind>(kind)), kExpected[kind]) << "kind " << kind;
  }
}

TEST(KindName, UnknownKindsAreInvalid) {
  EXPECT_EQ(KindName(static_cast<EventKind>(kLastEventKind + 1)), "INVALID");
  EXPECT_EQ(KindName(static_cast<EventKind>(255)), "INVALID");
}

TEST(BuiltinTypeName, NamesEveryBuiltinTypeAtItsAbiValue) {
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_DRAM), "DRAM");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_L1), "L1");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_L1_SMALL), "L1_SMALL");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_TRACE), "TRACE");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_SYSTEM_MEMORY), "SYSTEM_MEMORY");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_CB), "CB");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_KERNEL), "KERNEL");
}

TEST(BuiltinTypeName, PoolsAndUnknownValuesHaveNoBuiltinName) {
  EXPECT_EQ(BuiltinTypeName(kBuiltinTypeCount), "");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_FIRST_POOL - 1), "");
  EXPECT_EQ(BuiltinTypeName(MEMLEDGER_FIRST_POOL), "");
  EXPECT_EQ(BuiltinTypeName(255), "");
}

TEST(BuiltinTypeFromName, IsTheExactInverseOfBuiltinTypeName) {
  for (int type = 0; type < kBuiltinTypeCount; ++type) {
    const auto parsed = BuiltinTypeFromName(BuiltinTypeName(static_cast<std::uint8_t>(type)));
    ASSERT_TRUE(parsed.has_value()) << "type " << type;
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(BuiltinTypeFromName("dram"), std::nullopt);
  EXPECT_EQ(BuiltinTypeFromName("DRAM "), std::nullopt);
  EXPECT_EQ(BuiltinTypeFromName(""), std::nullopt);
  EXPECT_EQ(BuiltinTypeFromName("kv_cache"), std::nullopt);
}

}  // namespace
}  // namespace memledger
