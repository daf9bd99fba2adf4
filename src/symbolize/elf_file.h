// elf_file.h — one ELF file opened offline with elfutils libdwfl: the source
// frames (function, file:line, inlined calls) at an address of its own,
// from its DWARF (in the file or a separate debug file found by build-id or
// debuglink), else from its symbol table.
//
// Not thread-safe: libdwfl caches what it reads inside the Dwfl, so even
// lookups change it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct Dwfl;
struct Dwfl_Module;

namespace memledger {

// One frame of source at an address: an inlined call or the function itself.
struct SourceFrame {
  std::string function;  // demangled; empty when unknown
  std::string file;      // as in DWARF; empty when unknown
  int line = 0;          // 0 when unknown
  bool inlined = false;  // inlined into the next (outer) frame
};

class ElfFile {
 public:
  // nullptr when `path` cannot be opened as ELF, or when `build_id` (raw
  // bytes) is not empty and the file's differs: its DWARF would describe
  // other code. The file is opened by OpenModuleFile (module_file.h) for
  // `reader` (the uid of the process that named it, when known); when it
  // refuses the file, nullptr with its reason in *refusal (optional).
  static std::unique_ptr<ElfFile> Open(const std::string& path, std::string_view build_id,
                                       std::optional<uid_t> reader = std::nullopt, std::string* refusal = nullptr);
  ~ElfFile();
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  // The frames at `elf_address` (an address as the file's own headers and
  // DWARF give them), innermost first: the inlined calls at that address,
  // then the function they were inlined into. Empty when nothing is known.
  std::vector<SourceFrame> FramesAt(std::uint64_t elf_address);

 private:
  ElfFile(Dwfl* dwfl, Dwfl_Module* module, std::uint64_t bias);

  Dwfl* dwfl_;           // owned: dwfl_end
  Dwfl_Module* module_;  // owned by dwfl_
  std::uint64_t bias_;   // Dwfl address = ELF address + bias_
};

}  // namespace memledger
