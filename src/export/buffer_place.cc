// buffer_place.cc — see buffer_place.h.
#include "export/buffer_place.h"

namespace memledger {

std::optional<BufferPlace> PlaceOf(const Ledger& ledger, ProcessIndex process, const Event& e) {
  if (e.device >= kMaxDevices || e.type >= MEMLEDGER_MAX_TYPES) return std::nullopt;
  const std::uint16_t type = ledger.process(process).type_map[e.type];
  const std::uint16_t device = ledger.DeviceOf(process, e.device);  // ledger-wide (device_table.h)
  if (type >= ledger.type_count() || device == kNoDevice) return std::nullopt;
  return BufferPlace{device, type};
}

}  // namespace memledger
