// carry_over.cc — see carry_over.h.
#include "ledger/carry_over.h"

#include <algorithm>
#include <array>

namespace memledger {
namespace {

EventKind AllocKindOf(BufferClass cls) {
  switch (cls) {
    case BufferClass::kCircularBuffer: return EventKind::kCbAlloc;
    case BufferClass::kKernelBinary: return EventKind::kKernelLoad;
    case BufferClass::kBuffer: break;
  }
  return EventKind::kAlloc;
}

}  // namespace

void AppendLiveBuffers(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots) {
  const ProcessBooks& books = ledger.process(process);
  // Ledger-wide type -> the process's own type number.
  std::array<std::uint8_t, MEMLEDGER_MAX_TYPES> local_type{};
  for (int local = MEMLEDGER_MAX_TYPES - 1; local >= 0; --local) {
    if (books.type_map[local] < MEMLEDGER_MAX_TYPES) local_type[books.type_map[local]] = static_cast<std::uint8_t>(local);
  }
  std::vector<std::pair<const LiveKey*, const LiveBuffer*>> held;
  ledger.ForEachLiveOf(process, [&](const LiveKey& key, const LiveBuffer& buffer) { held.emplace_back(&key, &buffer); });
  std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.second->seq < b.second->seq; });
  slots.reserve(slots.size() + held.size());
  for (const auto& [key, buffer] : held) {
    Event e{};
    e.kind = static_cast<std::uint8_t>(AllocKindOf(key->cls));
    e.device = key->device;
    e.type = local_type[buffer->type];
    // The identity is the id, or the address when the id was 0: either way
    // the receiving ledger derives the same identity from these two fields.
    e.buffer_id = key->identity;
    e.address = buffer->address;
    e.size = buffer->size;
    e.time_ns = buffer->time_ns;
    e.tag = buffer->tag;
    e.stack = buffer->stack;
    AppendRecord(slots, e);
  }
}

void AppendUnmatchedFrees(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots) {
  for (const Event& free : ledger.process(process).unmatched_frees) {
    Event e = free;
    e.payload_bytes = 0;
    AppendRecord(slots, e);
  }
}

std::uint64_t ApplyCarriedOver(Ledger& ledger, ProcessIndex process, std::span<const Event> slots,
                               CarriedFrees frees) {
  RecordAssembler assembler;
  std::uint64_t carried_frees = 0;
  for (const Event& slot : slots) {
    const auto record = assembler.Push(slot);
    if (!record) continue;
    switch (record->kind()) {
      case EventKind::kFree:
      case EventKind::kCbFree:
      case EventKind::kKernelUnload:
        ++carried_frees;
        if (frees == CarriedFrees::kMatch) ledger.Apply(process, *record);
        break;
      case EventKind::kDeviceOpen: {
        const std::vector<bool>& open = ledger.process(process).open_devices;
        if (record->event.device < open.size() && open[record->event.device]) break;  // reopening would leak
        ledger.Apply(process, *record);
        break;
      }
      case EventKind::kTag:
      case EventKind::kPool:
      case EventKind::kStack:
      case EventKind::kModule:
      case EventKind::kLanguageFrame: ledger.Apply(process, *record); break;
      default: ledger.ApplyCarriedAlloc(process, *record); break;  // counts anything but an alloc as invalid
    }
  }
  ledger.CountLost(process, assembler.errors().total());
  return carried_frees;
}

}  // namespace memledger
