// address_index.cc — see address_index.h.
#include "ledger/address_index.h"

#include <iterator>

namespace memledger {
namespace {
constexpr std::size_t kCompactSlack = 64;
}  // namespace

void AddressIndex::Insert(std::uint64_t address, std::uint64_t end, std::uint64_t identity, Lookup lookup,
                          OnOverlap on_overlap) {
  auto it = ranges_.lower_bound(address);

  // Only the nearest range starting before `address` can reach into it (see
  // the invariants); its liveness matters only when it does.
  if (it != ranges_.begin()) {
    const auto before = std::prev(it);
    if (before->second.end > address) {
      if (LiveBuffer* older = lookup(before->second.identity, before->first)) on_overlap(before->second.identity, *older);
    }
  }

  // Ranges starting inside [address, end): live ones overlap; a stale one (or
  // this identity's own old entry) at `address` is reused; other stale ones
  // go. The entry at `address` is looked at even when the range is empty (a
  // buffer at the top of the address space, its end saturated there):
  // otherwise its own old entry stays beside the new one.
  bool placed = false;
  while (it != ranges_.end() && (it->first < end || it->first == address)) {
    const bool own = it->second.identity == identity;
    LiveBuffer* older = own ? nullptr : lookup(it->second.identity, it->first);
    if (older != nullptr) {
      on_overlap(it->second.identity, *older);
      ++it;
    } else if (!placed && it->first == address) {
      it->second = Range{end, identity};
      placed = true;
      ++it;
    } else {
      it = ranges_.erase(it);
    }
  }
  if (!placed) ranges_.insert(it, {address, Range{end, identity}});
  ++live_;
  if (ranges_.size() > 2 * live_ + kCompactSlack) Compact(lookup);
}

void AddressIndex::Erase(std::uint64_t address, std::uint64_t identity) {
  for (auto [it, last] = ranges_.equal_range(address); it != last; ++it) {
    if (it->second.identity == identity) {
      ranges_.erase(it);
      break;
    }
  }
  --live_;
}

void AddressIndex::Compact(Lookup lookup) {
  absl::erase_if(ranges_, [&](const auto& entry) { return lookup(entry.second.identity, entry.first) == nullptr; });
}

std::size_t AddressIndex::CountLive(
    absl::FunctionRef<bool(std::uint64_t identity, std::uint64_t address)> is_live) const {
  std::size_t n = 0;
  for (const auto& [address, range] : ranges_) n += is_live(range.identity, address);
  return n;
}

}  // namespace memledger
