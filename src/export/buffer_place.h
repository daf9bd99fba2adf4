// buffer_place.h — where a buffer record's buffer is, ledger-wide: its
// device and memory type as reports number and name them (names.h), which
// an export's --device/--type (report/report_scope.h) are compared with.
#pragma once

#include <cstdint>
#include <optional>

#include "event/event.h"
#include "ledger/ledger.h"

namespace memledger {

struct BufferPlace {
  std::uint16_t device;  // ledger-wide
  std::uint16_t type;    // ledger-wide type index
};

// The place of buffer record `e` of `process`, read after the ledger applied
// it; nullopt when the process never used that device number or memory type
// (the ledger counted the record as invalid).
std::optional<BufferPlace> PlaceOf(const Ledger& ledger, ProcessIndex process, const Event& e);

}  // namespace memledger
