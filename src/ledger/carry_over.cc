// carry_over.cc — see carry_over.h.
#include "ledger/carry_over.h"

#include <algorithm>

namespace memledger {
namespace {
bool IsOpen(const Ledger& ledger, ProcessIndex process, std::uint16_t device) {
  const std::vector<bool>& open = ledger.process(process).open_devices;
  return device < open.size() && open[device];
}
}  // namespace

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
    const KindRow& row = KindRowOf(record->kind());  // event_kind.h
    if (row.life == BufferLife::kEnds) {
      ++carried_frees;
      if (frees == CarriedFrees::kMatch) ledger.Apply(process, *record);
    } else if (!row.carried_over) {
      ledger.ApplyCarriedAlloc(process, *record);  // counts anything but an alloc as invalid
    } else if (row.kind != EventKind::kDeviceOpen || !IsOpen(ledger, process, record->event.device)) {
      ledger.Apply(process, *record);  // a definition, a close; an open of a device open already would leak
    }
  }
  ledger.CountLost(process, assembler.errors().total());
  return carried_frees;
}

}  // namespace memledger
