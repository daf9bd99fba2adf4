// module_map.cc — see module_map.h.
#include "client/module_map.h"

#include <elf.h>
#include <link.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace memledger {
namespace {

std::string MainProgramPath() {
  char path[4096];
  const ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
  return n > 0 ? std::string(path, static_cast<std::size_t>(n)) : std::string();
}

// NT_GNU_BUILD_ID from the object's PT_NOTE segments, as mapped.
std::string BuildIdOf(const dl_phdr_info& info) {
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    if (ph.p_type != PT_NOTE) continue;
    const char* at = reinterpret_cast<const char*>(info.dlpi_addr + ph.p_vaddr);
    const char* end = at + ph.p_memsz;
    while (at + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, at, sizeof(note));
      const char* name = at + sizeof(note);
      const char* desc = name + ((note.n_namesz + 3) & ~3U);
      const char* next = desc + ((note.n_descsz + 3) & ~3U);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
        return std::string(desc, note.n_descsz);
      }
      at = next;
    }
  }
  return {};
}

ModuleDescription Describe(const dl_phdr_info& info) {
  ModuleDescription module;
  module.base = info.dlpi_addr;
  module.start = UINT64_MAX;
  for (int i = 0; i < info.dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info.dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    module.start = std::min<std::uint64_t>(module.start, info.dlpi_addr + ph.p_vaddr);
    module.end = std::max<std::uint64_t>(module.end, info.dlpi_addr + ph.p_vaddr + ph.p_memsz);
  }
  if (module.start == UINT64_MAX) module.start = module.end = 0;
  module.build_id = BuildIdOf(info);
  module.path = info.dlpi_name != nullptr && info.dlpi_name[0] != '\0' ? info.dlpi_name : MainProgramPath();
  return module;
}

}  // namespace

std::vector<ModuleDescription> ModuleMap::Refresh() {
  std::vector<ModuleDescription> now;
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        static_cast<std::vector<ModuleDescription>*>(data)->push_back(Describe(*info));
        return 0;
      },
      &now);
  std::vector<ModuleDescription> added;
  for (ModuleDescription& module : now) {
    const bool known = std::any_of(modules_.begin(), modules_.end(), [&](const ModuleDescription& m) {
      return m.start == module.start && m.end == module.end && m.path == module.path;
    });
    if (!known && module.end != 0) added.push_back(module);
  }
  modules_.insert(modules_.end(), added.begin(), added.end());
  return added;
}

}  // namespace memledger
