// event.cc — names of built-in memory types (event kinds name themselves in
// event_kind.h's table).
#include "event/event.h"

#include <array>

#include "memledger/memledger.hpp"

namespace memledger {
namespace {
// The built-in memory types, a row each: the C ABI's value (memledger.h),
// the C++ layer's (memledger.hpp) and the name reports and captures use.
// The asserts below tie the three together: a type appended to one and not
// to the others, or a value out of its place, does not compile.
struct BuiltinType {
  int c_value;
  MemType cpp_value;
  const char* name;  // a literal: memledger_type_name hands it out as a C string
};
constexpr std::array<BuiltinType, kBuiltinTypeCount> kBuiltinTypes = {{
    {MEMLEDGER_DRAM, MemType::kDram, "DRAM"},
    {MEMLEDGER_L1, MemType::kL1, "L1"},
    {MEMLEDGER_L1_SMALL, MemType::kL1Small, "L1_SMALL"},
    {MEMLEDGER_TRACE, MemType::kTrace, "TRACE"},
    {MEMLEDGER_SYSTEM_MEMORY, MemType::kSystemMemory, "SYSTEM_MEMORY"},
    {MEMLEDGER_CB, MemType::kCb, "CB"},
    {MEMLEDGER_KERNEL, MemType::kKernel, "KERNEL"},
}};
constexpr bool EachRowInItsPlace() {
  for (std::size_t i = 0; i < kBuiltinTypes.size(); ++i) {
    const BuiltinType& row = kBuiltinTypes[i];
    if (row.c_value != static_cast<int>(i) || static_cast<int>(row.cpp_value) != row.c_value || row.name == nullptr ||
        row.name[0] == '\0') {
      return false;
    }
  }
  return true;
}
static_assert(EachRowInItsPlace(), "row i is built-in type i in memledger.h and memledger.hpp, with a name");
static_assert(kBuiltinTypeCount == MEMLEDGER_KERNEL + 1 && kBuiltinTypeCount <= MEMLEDGER_FIRST_POOL,
              "kBuiltinTypeCount (event.h) counts the built-in types of memledger.h, below the pools");
}  // namespace

std::string_view BuiltinTypeName(std::uint8_t type) {
  return type < kBuiltinTypes.size() ? std::string_view(kBuiltinTypes[type].name) : std::string_view{};
}

std::optional<std::uint8_t> BuiltinTypeFromName(std::string_view name) {
  for (std::size_t i = 0; i < kBuiltinTypes.size(); ++i) {
    if (std::string_view(kBuiltinTypes[i].name) == name) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

}  // namespace memledger
