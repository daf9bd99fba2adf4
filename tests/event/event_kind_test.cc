// event_kind_test.cc — the table of event kinds and buffer classes
// (src/event/event_kind.h), checked against what each kind is, written out
// here once more by hand: a row that says the wrong thing fails here.
#include "event/event_kind.h"

#include <gtest/gtest.h>

#include <set>
#include <string_view>

namespace memledger {
namespace {

struct Expected {
  EventKind kind;
  BufferLife life;
  BufferClass cls;  // buffer events only
  bool carried_over;
};
constexpr Expected kExpected[] = {
    {EventKind::kInvalid, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kAlloc, BufferLife::kBegins, BufferClass::kBuffer, false},
    {EventKind::kFree, BufferLife::kEnds, BufferClass::kBuffer, false},
    {EventKind::kCbAlloc, BufferLife::kBegins, BufferClass::kCircularBuffer, false},
    {EventKind::kCbFree, BufferLife::kEnds, BufferClass::kCircularBuffer, false},
    {EventKind::kKernelLoad, BufferLife::kBegins, BufferClass::kKernelBinary, false},
    {EventKind::kKernelUnload, BufferLife::kEnds, BufferClass::kKernelBinary, false},
    {EventKind::kDeviceOpen, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kDeviceClose, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kTag, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kMark, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kPool, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kProcess, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kProcessEnd, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kStack, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kModule, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kLanguageFrame, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kSkipFrames, BufferLife::kNone, BufferClass::kBuffer, true},
    {EventKind::kAllocFailed, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kCheckpoint, BufferLife::kNone, BufferClass::kBuffer, false},
    {EventKind::kCheckpointEnd, BufferLife::kNone, BufferClass::kBuffer, false},
};
static_assert(std::size(kExpected) == kLastEventKind + 1, "this test lists every kind");

TEST(KindRows, OneRowPerKindInTheEnumsOrder) {
  ASSERT_EQ(kKindRows.size(), std::size_t{kLastEventKind} + 1);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kKindRows.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kKindRows[i].kind), i);
    EXPECT_EQ(kKindRows[i].kind, kExpected[i].kind) << "row " << i;
    EXPECT_TRUE(names.insert(kKindRows[i].name).second) << "row " << i << " repeats " << kKindRows[i].name;
  }
}

TEST(KindRows, EachKindBeginsOrEndsALifeOfItsClassOrNone) {
  for (const Expected& expected : kExpected) {
    const KindRow& row = KindRowOf(expected.kind);
    EXPECT_EQ(row.life, expected.life) << KindName(expected.kind);
    if (expected.life != BufferLife::kNone) {
      EXPECT_EQ(row.cls, expected.cls) << KindName(expected.kind);
    }
  }
}

TEST(KindRows, CarryOverTakesDefinitionsAndDeviceOpensAndClosesOnly) {
  for (const Expected& expected : kExpected) {
    EXPECT_EQ(KindRowOf(expected.kind).carried_over, expected.carried_over) << KindName(expected.kind);
  }
}

TEST(KindRows, UnknownValuesReadAsInvalid) {
  for (const int value : {kLastEventKind + 1, 255}) {
    const KindRow& row = KindRowOf(static_cast<EventKind>(value));
    EXPECT_EQ(row.kind, EventKind::kInvalid) << value;
    EXPECT_FALSE(IsBufferEvent(static_cast<EventKind>(value))) << value;
    EXPECT_FALSE(row.carried_over) << value;
  }
}

TEST(IsBufferEvent, ExactlyTheSixKindsOfABuffersLife) {
  const std::set<EventKind> buffer_events = {EventKind::kAlloc,   EventKind::kFree,       EventKind::kCbAlloc,
                                             EventKind::kCbFree,  EventKind::kKernelLoad, EventKind::kKernelUnload};
  for (int kind = 0; kind <= kLastEventKind; ++kind) {
    const auto k = static_cast<EventKind>(kind);
    EXPECT_EQ(IsBufferEvent(k), buffer_events.contains(k)) << KindName(k);
  }
}

TEST(LifeKindOf, EachClassBeginsAndEndsWithItsOwnKinds) {
  EXPECT_EQ(LifeKindOf(BufferClass::kBuffer, BufferLife::kBegins), EventKind::kAlloc);
  EXPECT_EQ(LifeKindOf(BufferClass::kBuffer, BufferLife::kEnds), EventKind::kFree);
  EXPECT_EQ(LifeKindOf(BufferClass::kCircularBuffer, BufferLife::kBegins), EventKind::kCbAlloc);
  EXPECT_EQ(LifeKindOf(BufferClass::kCircularBuffer, BufferLife::kEnds), EventKind::kCbFree);
  EXPECT_EQ(LifeKindOf(BufferClass::kKernelBinary, BufferLife::kBegins), EventKind::kKernelLoad);
  EXPECT_EQ(LifeKindOf(BufferClass::kKernelBinary, BufferLife::kEnds), EventKind::kKernelUnload);
}

TEST(ClassMemoryType, CbsAndKernelsHaveTheirTypeBuffersTheRecords) {
  EXPECT_EQ(kClassMemoryType[static_cast<int>(BufferClass::kBuffer)], kTypeOfTheRecord);
  EXPECT_EQ(kClassMemoryType[static_cast<int>(BufferClass::kCircularBuffer)], MEMLEDGER_CB);
  EXPECT_EQ(kClassMemoryType[static_cast<int>(BufferClass::kKernelBinary)], MEMLEDGER_KERNEL);
}

}  // namespace
}  // namespace memledger
