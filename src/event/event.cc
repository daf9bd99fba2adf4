// event.cc — names of event kinds and built-in memory types.
#include "event/event.h"

#include <array>

namespace memledger {
namespace {
constexpr std::array<std::string_view, kLastEventKind + 1> kKindNames = {
    "INVALID",     "ALLOC",        "FREE",       "CB_ALLOC", "CB_FREE", "KERNEL_LOAD", "KERNEL_UNLOAD",
    "DEVICE_OPEN", "DEVICE_CLOSE", "TAG",        "MARK",     "POOL",    "PROCESS",     "PROCESS_END",
    "STACK",       "MODULE",       "LANGUAGE_FRAME"};
constexpr std::array<std::string_view, kBuiltinTypeCount> kTypeNames = {"DRAM",          "L1", "L1_SMALL", "TRACE",
                                                                        "SYSTEM_MEMORY", "CB", "KERNEL"};
}  // namespace

std::string_view KindName(EventKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kKindNames.size() ? kKindNames[index] : kKindNames[0];
}

std::string_view BuiltinTypeName(std::uint8_t type) {
  return type < kTypeNames.size() ? kTypeNames[type] : std::string_view{};
}

std::optional<std::uint8_t> BuiltinTypeFromName(std::string_view name) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

}  // namespace memledger
