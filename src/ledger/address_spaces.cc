// address_spaces.cc — see address_spaces.h.
#include "ledger/address_spaces.h"

#include <algorithm>
#include <bit>
#include <string>

namespace memledger {

std::string SpaceProblem(const memledger_address_space& space) {
  if (space.within != space.type) return {};  // placed in another's space: its own geometry is not read
  if (space.size == 0) return "a size of 0";
  if (space.banks == 0) return "0 banks";
  if (space.alignment != 0 && !std::has_single_bit(space.alignment)) {
    return "an alignment of " + std::to_string(space.alignment) + " (not a power of two)";
  }
  if (space.base + space.size < space.base) return "a range past the end of the address space";
  const std::uint64_t granule = std::uint64_t{std::max<std::uint32_t>(space.alignment, 1)} * space.banks;
  if (space.size % space.banks != 0) {
    // Not the same bank-local range in every bank.
    return "a size of " + std::to_string(space.size) + " that " + std::to_string(space.banks) +
           " banks do not divide";
  }
  if (granule > space.size) return "an alignment x banks (" + std::to_string(granule) + ") larger than the space";
  return {};
}

void AddressSpaces::Declare(const std::vector<DeclaredSpace>& spaces, const std::vector<std::string>& type_names,
                            std::string* why) {
  const auto name = [&](std::uint16_t type) { return type < type_names.size() ? type_names[type] : "?"; };
  why->clear();
  declared_.clear();
  maps_.clear();
  within_.clear();
  const auto refuse = [&](std::string reason) {
    if (why->empty()) *why = std::move(reason);
  };
  // Own spaces first, so that a type placed within one finds it whatever the order.
  for (const DeclaredSpace& space : spaces) {
    if (space.within != space.type) continue;
    if (space.type < maps_.size() && maps_[space.type]) {
      refuse(name(space.type) + " declared twice");
      continue;
    }
    if (maps_.size() <= space.type) maps_.resize(space.type + 1);
    maps_[space.type] = std::make_unique<FreeSpaceMap>(space.geometry);
    declared_.push_back(space);
  }
  for (const DeclaredSpace& space : spaces) {
    if (space.within == space.type) continue;
    const FreeSpaceMap* host = MapOf(space.within);
    if (host == nullptr) {
      refuse(name(space.type) + " placed within " + name(space.within) + ", which declared no space of its own");
      continue;
    }
    if (MapOf(space.type) != nullptr || PlacedWithin(space.type)) {
      refuse(name(space.type) + " declared twice");
      continue;
    }
    if (within_.size() <= space.type) within_.resize(space.type + 1, kNone);
    within_[space.type] = space.within;
    declared_.push_back(space);
  }
}

}  // namespace memledger
