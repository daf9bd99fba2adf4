// legacy_references.cc — the old tracker's reference counting (legacy_references.h).
#include "legacy/legacy_references.h"

#include "legacy/legacy_event.h"

namespace memledger::legacy {
namespace {

// The kind that allocates in `kind`'s class: kAlloc for kFree, and so on.
EventKind AllocatingKind(EventKind kind) {
  const KindRow& row = KindRowOf(kind);
  return row.life == BufferLife::kEnds ? LifeKindOf(row.cls, BufferLife::kBegins) : kind;
}

}  // namespace

std::optional<Event> LegacyReferences::Book(const LegacyMessage& message) {
  const std::optional<Event> event = ToEvent(message);
  if (!event) return std::nullopt;
  const auto kind = static_cast<EventKind>(event->kind);
  const Key key{event->device, AllocatingKind(kind), message.buffer_id};
  return kind == key.kind ? Allocate(key, *event) : Release(key, *event);
}

std::optional<Event> LegacyReferences::Allocate(const Key& key, Event event) {
  auto& references = held_[key];
  if (key.kind == EventKind::kAlloc && !references.empty()) {
    ++references.front().count;  // the old tracker's reference count; the size stays the first's
    ++repeated_allocs_;
    return std::nullopt;
  }
  event.buffer_id = UnusedIdentity(key);
  identities_.insert(Key{key.device, key.kind, event.buffer_id});
  references.push_back(Reference{event.buffer_id, event.size, event.type, 1});
  return event;
}

std::optional<Event> LegacyReferences::Release(const Key& key, Event event) {
  const auto it = held_.find(key);
  if (it == held_.end()) {
    // Nothing live: the ledger says what it was, under the legacy id unless
    // that is another entry's identity here.
    event.buffer_id = identities_.contains(key) ? UnusedIdentity(key) : key.id;
    return event;
  }
  auto& references = it->second;
  std::size_t which = references.size() - 1;  // the newest
  for (std::size_t i = references.size(); i-- > 0;) {
    if (references[i].size == event.size) {
      which = i;
      break;
    }
  }
  Reference& reference = references[which];
  if (--reference.count != 0) return std::nullopt;
  event.buffer_id = reference.identity;
  event.type = reference.type;  // the ALLOC's: a FREE's buffer_type is often left 0
  event.size = reference.size;
  identities_.erase(Key{key.device, key.kind, reference.identity});
  references.erase(references.begin() + static_cast<std::ptrdiff_t>(which));
  if (references.empty()) held_.erase(it);
  return event;
}

std::uint64_t LegacyReferences::UnusedIdentity(const Key& key) {
  if (!identities_.contains(key)) return key.id;
  while (identities_.contains(Key{key.device, key.kind, next_own_identity_})) ++next_own_identity_;
  return next_own_identity_++;
}

std::vector<HeldBuffer> LegacyReferences::Held() const {
  std::vector<HeldBuffer> held;
  for (const auto& [key, references] : held_) {
    for (const Reference& reference : references) {
      held.push_back(HeldBuffer{key.device, key.kind, reference.type, key.id, reference.size, reference.count});
    }
  }
  return held;
}

}  // namespace memledger::legacy
