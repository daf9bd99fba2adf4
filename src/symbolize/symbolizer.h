// symbolizer.h — captured native stacks to source frames (function,
// file:line, inlined calls), read after the tracked process is gone from the
// ELF files its module map names, with elfutils libdwfl offline.
//
// Module files are opened by OpenModuleFile (module_file.h): a path that
// names no regular file, a file over 4 GiB, or one the process's uid could
// not read itself is not read, and its frames say why. A file is used only if
// its build-id is the one the module declared (when it declared one).
//
// Caches, never evicted (a Symbolizer lives for one report): one ElfFile per
// distinct file and reader, by build-id, else by path; the files that could
// not be used (missing, refused, not ELF, another build than the module's),
// so each is tried once; and the frames at every (file, address) looked up,
// since the same return addresses recur across stacks.
//
// Not thread-safe: one Symbolizer per thread (background_symbolizer.h runs
// one on a thread of its own for a server's event loop).
#pragma once

#include <sys/types.h>

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "event/record.h"
#include "symbolize/elf_file.h"
#include "symbolize/stack_symbols.h"

namespace memledger {


// Frames of a stack as the module map alone tells them (module+offset, or
// the bare address), without reading any file: what a report shows while the
// files are still being read.
std::vector<SymbolizedFrame> ModuleFrames(std::span<const ModuleDescription> modules,
                                          std::span<const std::uint64_t> stack);

class Symbolizer final : public StackSymbols {
 public:
  // One captured stack, innermost first; every frame but the innermost is a
  // return address, looked up one byte before (in the call). Inlined calls
  // expand one address into several frames (innermost first), all with that
  // address. A frame that cannot be resolved is kept as module+offset (or
  // the bare address), never dropped. `reader`: the uid of the process the
  // modules are of, when known (module_file.h).
  std::vector<SymbolizedFrame> Symbolize(std::span<const ModuleDescription> modules,
                                         std::span<const std::uint64_t> stack,
                                         std::optional<uid_t> reader = std::nullopt);
  // StackSymbols: always known (read now, on the calling thread).
  std::optional<std::vector<SymbolizedFrame>> Frames(std::span<const ModuleDescription> modules,
                                                     std::span<const std::uint64_t> stack,
                                                     std::optional<uid_t> reader) override {
    return Symbolize(modules, stack, reader);
  }

 private:
  // A module's file, opened or not (file null: then refusal may say why).
  struct OpenedFile {
    std::unique_ptr<ElfFile> file;
    std::string refusal;
  };
  // Files are keyed by build-id (raw NT_GNU_BUILD_ID bytes), else by path,
  // and by the reader when its uid is not this process's (-1 otherwise).
  using FileKey = std::pair<std::string, std::int64_t>;

  // Valid until the next call.
  const OpenedFile& FileOf(const ModuleDescription& module, std::optional<uid_t> reader);
  // Valid until the next call.
  const std::vector<SourceFrame>& FramesAt(ElfFile& file, std::uint64_t elf_address);

  absl::flat_hash_map<FileKey, OpenedFile> files_by_build_id_;
  absl::flat_hash_map<FileKey, OpenedFile> files_by_path_;  // modules without a build-id
  absl::flat_hash_map<std::pair<const ElfFile*, std::uint64_t>, std::vector<SourceFrame>> frames_;
};

// "function at file:line" / "function" / "module+0xoffset" (followed by
// " (why the module was not read)" when it was refused) / "0xaddress": one
// line per frame, for reports.
std::string FormatFrame(const SymbolizedFrame& frame);

}  // namespace memledger
