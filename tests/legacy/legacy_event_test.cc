// legacy_event_test.cc — legacy messages as memledger events
// (src/legacy/legacy_event.h): the memory type table, kinds, identity (the
// legacy id, never an address), and the types that are not events.
#include "legacy/legacy_event.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace memledger::legacy {
namespace {

LegacyMessage Message(MessageType type, std::uint8_t buffer_type = 0) {
  LegacyMessage m;
  m.type = type;
  m.device_id = 5;
  m.size = 8192;
  m.buffer_type = buffer_type;
  m.process_id = 31337;  // claimed: must not reach the event
  m.buffer_id = 0x40000a00;
  m.timestamp = 987654321;
  return m;
}

TEST(LegacyEvent, MemoryTypeTable) {
  EXPECT_EQ(MemoryTypeOf(0), MEMLEDGER_DRAM);
  EXPECT_EQ(MemoryTypeOf(1), MEMLEDGER_L1);
  EXPECT_EQ(MemoryTypeOf(2), MEMLEDGER_L1_SMALL);  // SYSTEM_MEMORY, counted with L1_SMALL
  EXPECT_EQ(MemoryTypeOf(3), MEMLEDGER_L1_SMALL);
  EXPECT_EQ(MemoryTypeOf(4), MEMLEDGER_TRACE);
  for (int t = 5; t < 256; ++t) EXPECT_EQ(MemoryTypeOf(static_cast<std::uint8_t>(t)), std::nullopt) << t;
}

TEST(LegacyEvent, AllocAndFreeCarryTheirMemoryType) {
  const std::uint8_t expected[] = {MEMLEDGER_DRAM, MEMLEDGER_L1, MEMLEDGER_L1_SMALL, MEMLEDGER_L1_SMALL,
                                   MEMLEDGER_TRACE};
  for (std::uint8_t legacy = 0; legacy <= 4; ++legacy) {
    const auto alloc = ToEvent(Message(MessageType::kAlloc, legacy));
    ASSERT_TRUE(alloc.has_value());
    EXPECT_EQ(alloc->kind, static_cast<std::uint8_t>(EventKind::kAlloc));
    EXPECT_EQ(alloc->type, expected[legacy]);
    const auto free = ToEvent(Message(MessageType::kFree, legacy));
    ASSERT_TRUE(free.has_value());
    EXPECT_EQ(free->kind, static_cast<std::uint8_t>(EventKind::kFree));
    EXPECT_EQ(free->type, expected[legacy]);
  }
  EXPECT_EQ(ToEvent(Message(MessageType::kAlloc, 5)), std::nullopt);
}

TEST(LegacyEvent, CircularBuffersAndKernels) {
  struct Case {
    MessageType legacy;
    EventKind kind;
    std::uint8_t type;
  };
  const Case cases[] = {
      {MessageType::kCbAlloc, EventKind::kCbAlloc, MEMLEDGER_CB},
      {MessageType::kCbFree, EventKind::kCbFree, MEMLEDGER_CB},
      {MessageType::kKernelLoad, EventKind::kKernelLoad, MEMLEDGER_KERNEL},
      {MessageType::kKernelUnload, EventKind::kKernelUnload, MEMLEDGER_KERNEL},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(MessageTypeName(static_cast<std::uint8_t>(c.legacy))));
    // The kernel's buffer_type (0 application, 1 fabric, 2 dispatch) does not matter.
    const auto event = ToEvent(Message(c.legacy, 2));
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->kind, static_cast<std::uint8_t>(c.kind));
    EXPECT_EQ(event->type, c.type);
    EXPECT_EQ(event->size, 8192u);  // CB_FREE and KERNEL_UNLOAD carry it too
  }
}

TEST(LegacyEvent, TheLegacyIdIsAnIdentityAndClaimsAreDropped) {
  const auto event = ToEvent(Message(MessageType::kAlloc, 1));
  ASSERT_TRUE(event.has_value());
  Event expected{};
  expected.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  expected.type = MEMLEDGER_L1;
  expected.device = 5;
  expected.buffer_id = 0x40000a00;
  expected.address = 0;  // no address: the ledger never looks for overlaps
  expected.size = 8192;
  // Everything else, including seq, time and thread, is left for the listener:
  // no trace of the claimed pid 31337 or timestamp 987654321.
  EXPECT_EQ(std::memcmp(&*event, &expected, sizeof(Event)), 0);
}

TEST(LegacyEvent, EveryKindIsKnownByItsIdAlone) {
  // Buffers, CBs and kernels alike: the protocol does not say whether the id is an address.
  for (const MessageType type : {MessageType::kAlloc, MessageType::kFree, MessageType::kCbAlloc, MessageType::kCbFree,
                                 MessageType::kKernelLoad, MessageType::kKernelUnload}) {
    const auto event = ToEvent(Message(type));
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->buffer_id, 0x40000a00u);
    EXPECT_EQ(event->address, 0u);
  }
}

TEST(LegacyEvent, RequestsAndRepliesAreNotEvents) {
  for (const MessageType type : {MessageType::kQuery, MessageType::kResponse, MessageType::kDumpRemaining,
                                 MessageType::kDeviceInfoQuery, MessageType::kDeviceInfoResponse,
                                 MessageType::kDumpKernels, static_cast<MessageType>(0),
                                 static_cast<MessageType>(200)}) {
    EXPECT_EQ(ToEvent(Message(type)), std::nullopt) << static_cast<int>(type);
  }
}

TEST(LegacyEvent, DevicesAnEventCannotHoldAreRefused) {
  LegacyMessage m = Message(MessageType::kCbAlloc);
  m.device_id = -1;
  EXPECT_EQ(ToEvent(m), std::nullopt);
  m.device_id = 65536;
  EXPECT_EQ(ToEvent(m), std::nullopt);
  m.device_id = 65535;
  ASSERT_TRUE(ToEvent(m).has_value());
  EXPECT_EQ(ToEvent(m)->device, 65535);
}

}  // namespace
}  // namespace memledger::legacy
