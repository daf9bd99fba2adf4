// carry_over.cc — see carry_over.h.
#include "ledger/carry_over.h"

#include <algorithm>

namespace memledger {

void AppendLiveBuffers(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots) {
  std::vector<std::pair<const LiveKey*, const LiveBuffer*>> held;
  ledger.ForEachLiveOf(process, [&](const LiveKey& key, const LiveBuffer& buffer) { held.emplace_back(&key, &buffer); });
  std::sort(held.begin(), held.end(), [](const auto& a, const auto& b) { return a.second->seq < b.second->seq; });
  slots.reserve(slots.size() + held.size());
  for (const auto& [key, buffer] : held) AppendRecord(slots, ledger.AllocRecordOf(*key, *buffer));
}

void AppendCarryBack(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots) {
  for (const Event& settled : ledger.process(process).carry_back) {
    Event e = settled;
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
      case EventKind::kDeviceClose:
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
