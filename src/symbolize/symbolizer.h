// symbolizer.h — captured native stacks to source frames (function,
// file:line, inlined calls), read after the tracked process is gone from the
// ELF files its module map names, with elfutils libdwfl offline.
//
// Caches, never evicted (a Symbolizer lives for one report): one ElfFile per
// distinct file, by build-id, else by path; the files that could not be used
// (missing, not ELF, another build than the module's), so each is tried
// once; and the frames at every (file, address) looked up, since the same
// return addresses recur across stacks.
//
// Not thread-safe: one Symbolizer per thread.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "event/record.h"
#include "symbolize/elf_file.h"

namespace memledger {

// The strings' {} lets designated initializers leave them out without
// -Wmissing-field-initializers.
struct SymbolizedFrame {
  std::uint64_t address = 0;        // as captured
  std::string function{};           // demangled; empty when unknown
  std::string file{};               // source file path as in DWARF; empty when unknown
  int line = 0;                     // 0 when unknown
  bool inlined = false;             // this frame was inlined into the next (outer) one
  std::string module{};             // the module's path ("" when no module covers the address)
  std::uint64_t module_offset = 0;  // address - base (the ELF address)
  bool operator==(const SymbolizedFrame&) const = default;
};

class Symbolizer {
 public:
  // One captured stack, innermost first; every frame but the innermost is a
  // return address, looked up one byte before (in the call). Inlined calls
  // expand one address into several frames (innermost first), all with that
  // address. A frame that cannot be resolved is kept as module+offset (or
  // the bare address), never dropped.
  std::vector<SymbolizedFrame> Symbolize(std::span<const ModuleDescription> modules,
                                         std::span<const std::uint64_t> stack);

 private:
  // nullptr when the module's file cannot be used.
  ElfFile* FileOf(const ModuleDescription& module);
  // Valid until the next call.
  const std::vector<SourceFrame>& FramesAt(ElfFile& file, std::uint64_t elf_address);

  // nullptr: tried, and unusable.
  absl::flat_hash_map<std::string, std::unique_ptr<ElfFile>> files_by_build_id_;  // raw NT_GNU_BUILD_ID bytes
  absl::flat_hash_map<std::string, std::unique_ptr<ElfFile>> files_by_path_;      // modules without a build-id
  absl::flat_hash_map<std::pair<const ElfFile*, std::uint64_t>, std::vector<SourceFrame>> frames_;
};

// "function at file:line" / "function" / "module+0xoffset" / "0xaddress":
// one line per frame, for reports.
std::string FormatFrame(const SymbolizedFrame& frame);

}  // namespace memledger
