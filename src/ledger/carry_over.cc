// carry_over.cc — see carry_over.h.
#include "ledger/carry_over.h"

#include <algorithm>

namespace memledger {
namespace {
bool IsOpen(const Ledger& ledger, ProcessIndex process, std::uint16_t device) {
  return ledger.process(process).open_devices.contains(device);
}

Event NameRecord(EventKind kind) {
  Event e{};
  e.kind = static_cast<std::uint8_t>(kind);
  return e;
}

// The keys of `map`, ascending: a carried-over stream the same from run to run.
template <typename Map>
std::vector<typename Map::key_type> SortedKeys(const Map& map) {
  std::vector<typename Map::key_type> keys;
  keys.reserve(map.size());
  for (const auto& entry : map) keys.push_back(entry.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}
}  // namespace

void AppendDeclaredNames(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots) {
  const ProcessBooks& books = ledger.process(process);
  for (const ModuleDescription& module : books.modules) {
    AppendRecord(slots, NameRecord(EventKind::kModule), EncodeModule(module));
  }
  for (const std::uint64_t value : SortedKeys(books.language_frames)) {
    Event e = NameRecord(EventKind::kLanguageFrame);
    e.address = value;
    AppendRecord(slots, e, EncodeLanguageFrame(books.language_frames.at(value)));
  }
  for (const std::uint32_t id : SortedKeys(books.stacks)) {
    Event e = NameRecord(EventKind::kStack);
    e.stack = id;
    AppendRecord(slots, e, EncodeStack(books.stacks.at(id)));
  }
  for (int local = MEMLEDGER_FIRST_POOL; local < MEMLEDGER_MAX_TYPES; ++local) {
    if (books.type_map[local] == kNoType) continue;
    Event e = NameRecord(EventKind::kPool);
    e.type = static_cast<std::uint8_t>(local);
    AppendRecord(slots, e, ledger.type_name(books.type_map[local]));
  }
  for (const std::uint32_t id : SortedKeys(books.tag_names)) {
    Event e = NameRecord(EventKind::kTag);
    e.tag = id;
    AppendRecord(slots, e, books.tag_names.at(id));
  }
  for (const std::string& pattern : books.skip_frames) AppendRecord(slots, NameRecord(EventKind::kSkipFrames), pattern);
  for (const auto& [device, description] : books.open_devices) {
    Event e = NameRecord(EventKind::kDeviceOpen);
    e.device = device;
    AppendRecord(slots, e, description);
  }
}

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
