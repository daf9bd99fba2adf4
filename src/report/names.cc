// names.cc — see names.h.
#include "report/names.h"

#include <fmt/format.h>

namespace memledger {

std::string DeviceLabel(std::size_t device, std::string_view name, std::string_view uid) {
  std::string label = fmt::format("device {}", device);
  if (!name.empty()) label += fmt::format(" ({})", name);
  if (!uid.empty()) label += fmt::format(" uid {}", uid);
  return label;
}

std::string DeviceLabel(const Ledger& ledger, std::size_t device) {
  if (device >= ledger.devices().size()) return DeviceLabel(device, {}, {});
  const DeviceBooks& books = ledger.devices()[device];
  return DeviceLabel(device, books.name, books.uid);
}

std::string DeviceTitle(const Ledger& ledger, std::size_t device) {
  if (device >= ledger.devices().size()) return fmt::format("device {}", device);
  const DeviceBooks& books = ledger.devices()[device];
  const std::string name = books.name.empty() ? fmt::format("device {}", device) : books.name;
  return books.uid.empty() ? name : fmt::format("{} uid {}", name, books.uid);
}

std::string PlaceLabel(const Ledger& ledger, std::size_t device, std::size_t type, std::uint32_t process,
                       std::uint32_t tag, bool with_pid) {
  std::string label = fmt::format("device {} {}", device, ledger.type_name(type));
  if (const std::string_view name = ledger.tag_name(process, tag); !name.empty()) label += fmt::format(", tag {}", name);
  if (with_pid) label += fmt::format(", pid {}", ledger.processes()[process].pid);
  return label;
}

std::string_view AnomalyMeaning(Anomaly anomaly) {
  switch (anomaly) {
    case Anomaly::kUnknownFree:
      return "a free of a buffer these books never saw allocated: its alloc hook is missing, or the free names "
             "another device, type or id";
    case Anomaly::kDoubleFree: return "a buffer freed twice: two free hooks for one buffer, or an id freed again";
    case Anomaly::kDoubleAlloc:
      return "an id allocated again while it was live: its free hook is missing, or ids are reused too soon";
    case Anomaly::kOverlap:
      return "a buffer allocated over the range of one still live: a free hook is missing, or the allocator "
             "handed out memory it had not got back";
    case Anomaly::kLateFreeHook:
      return "a buffer's range was allocated again before its free hook ran: call the free hook before the "
             "memory goes back to the allocator (memledger.h, where the hooks go)";
    case Anomaly::kInvalidEvent: return "records these books could not apply: a bad device, type, size or payload";
    case Anomaly::kDeviceConflict:
      return "a device opened again with another description: the first stands";
    case Anomaly::kOutsideAddressSpace:
      return "a buffer outside the address space its device declared for its type: a wrong address or size in "
             "the hook, or a wrong declaration";
  }
  return "";
}

}  // namespace memledger
