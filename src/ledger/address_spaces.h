// address_spaces.h — AddressSpaces: the address spaces one device declared
// (memledger_address_space, in its ledger-wide memory types), each with the
// FreeSpaceMap of what every process's live buffers cover there; and the
// types placed within another's space (circular buffers in L1), which the
// map does not count and whose ranges may overlap by design.
//
// A declaration is checked before it is kept: a size of 0, banks of 0, an
// alignment that is not a power of two, or a range that overflows is
// refused (Declare says why), as is a second declaration of one type in one
// description, or a `within` that names a type with no space of its own.
//
// Lookups by ledger-wide type are an index into a vector: the ledger asks on
// every buffer event. Not thread-safe: owned by one Ledger's DeviceBooks.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ledger/free_space_map.h"
#include "memledger/memledger.h"

namespace memledger {

// One declared space in ledger-wide types.
struct DeclaredSpace {
  std::uint16_t type;
  std::uint16_t within;  // == type: a space of its own
  SpaceGeometry geometry;  // {} when placed in another's space
  bool operator==(const DeclaredSpace&) const = default;
};

class AddressSpaces {
 public:
  // Replaces every declaration with `spaces` (each checked; `why` says of
  // the first refused one, naming types by `type_names`, empty when none
  // was). The maps start empty: the owner occupies them with what is live.
  void Declare(const std::vector<DeclaredSpace>& spaces, const std::vector<std::string>& type_names,
               std::string* why);
  bool empty() const { return declared_.empty(); }
  const std::vector<DeclaredSpace>& declared() const { return declared_; }

  // The map of `type`'s own space; null when it has none.
  FreeSpaceMap* MapOf(std::uint16_t type) const {
    return type < maps_.size() ? maps_[type].get() : nullptr;
  }
  // The type whose space `type` is placed within (memledger.h: CB within
  // L1); nullopt when it has a space of its own or none.
  std::optional<std::uint16_t> PlacedWithin(std::uint16_t type) const {
    if (type >= within_.size() || within_[type] == kNone) return std::nullopt;
    return within_[type];
  }

 private:
  static constexpr std::uint16_t kNone = 0xffff;
  std::vector<DeclaredSpace> declared_;
  std::vector<std::unique_ptr<FreeSpaceMap>> maps_;  // by ledger-wide type
  std::vector<std::uint16_t> within_;               // by ledger-wide type; kNone: not placed within another
};

// What is wrong with `space` as memledger.h defines one ("" when nothing).
std::string SpaceProblem(const memledger_address_space& space);

}  // namespace memledger
