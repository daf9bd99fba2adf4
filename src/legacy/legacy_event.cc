// legacy_event.cc — legacy messages as memledger events (legacy_event.h).
#include "legacy/legacy_event.h"

#include <limits>

namespace memledger::legacy {

std::optional<std::uint8_t> MemoryTypeOf(std::uint8_t legacy_buffer_type) {
  switch (static_cast<LegacyBufferType>(legacy_buffer_type)) {
    case LegacyBufferType::kDram: return MEMLEDGER_DRAM;
    case LegacyBufferType::kL1: return MEMLEDGER_L1;
    case LegacyBufferType::kSystemMemory: return MEMLEDGER_L1_SMALL;  // counted with L1_SMALL, see the header
    case LegacyBufferType::kL1Small: return MEMLEDGER_L1_SMALL;
    case LegacyBufferType::kTrace: return MEMLEDGER_TRACE;
  }
  return std::nullopt;
}

std::optional<Event> ToEvent(const LegacyMessage& message) {
  EventKind kind;
  std::optional<std::uint8_t> type;
  switch (message.type) {
    case MessageType::kAlloc:
      kind = EventKind::kAlloc;
      type = MemoryTypeOf(message.buffer_type);
      break;
    case MessageType::kFree:
      kind = EventKind::kFree;
      type = MemoryTypeOf(message.buffer_type);
      break;
    case MessageType::kCbAlloc:
      kind = EventKind::kCbAlloc;
      type = MEMLEDGER_CB;
      break;
    case MessageType::kCbFree:
      kind = EventKind::kCbFree;
      type = MEMLEDGER_CB;
      break;
    case MessageType::kKernelLoad:
      kind = EventKind::kKernelLoad;
      type = MEMLEDGER_KERNEL;
      break;
    case MessageType::kKernelUnload:
      kind = EventKind::kKernelUnload;
      type = MEMLEDGER_KERNEL;
      break;
    default: return std::nullopt;  // requests, replies and unknown values
  }
  if (!type || message.device_id < 0 || message.device_id > std::numeric_limits<std::uint16_t>::max()) {
    return std::nullopt;
  }
  Event event{};
  event.kind = static_cast<std::uint8_t>(kind);
  event.type = *type;
  event.device = static_cast<std::uint16_t>(message.device_id);
  event.buffer_id = message.buffer_id;  // an identity, never a range (see the header)
  event.address = 0;
  event.size = message.size;
  return event;
}

}  // namespace memledger::legacy
