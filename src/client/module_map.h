// module_map.h — the ELF objects mapped in this process (dl_iterate_phdr):
// for each, its load bias, address range, build-id and path, so that a stack
// captured here can be symbolized later, elsewhere. Refreshed when a stack
// holds an address no known module covers (a dlopen since the last look);
// the client checks addresses against a MappedCode made from modules().
//
// Thread-safety: not thread-safe; the client calls it under its stack mutex,
// on the new-stack path only.
#pragma once

#include <cstdint>
#include <vector>

#include "event/record.h"

namespace memledger {

class ModuleMap {
 public:
  // Looks at the mapped objects again; returns the ones not known before.
  std::vector<ModuleDescription> Refresh();
  const std::vector<ModuleDescription>& modules() const { return modules_; }

 private:
  std::vector<ModuleDescription> modules_;
};

}  // namespace memledger
