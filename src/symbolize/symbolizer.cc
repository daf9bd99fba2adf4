// symbolizer.cc — see symbolizer.h.
#include "symbolize/symbolizer.h"

#include <unistd.h>

#include <fmt/format.h>

namespace memledger {
namespace {

const ModuleDescription* ModuleContaining(std::span<const ModuleDescription> modules, std::uint64_t address) {
  for (const ModuleDescription& module : modules) {
    if (address >= module.start && address < module.end) return &module;
  }
  return nullptr;
}

// The frame at `address` (as captured) as the module map alone tells it.
SymbolizedFrame FrameIn(const ModuleDescription* module, std::uint64_t address) {
  if (module == nullptr) return SymbolizedFrame{.address = address};
  return SymbolizedFrame{.address = address, .module = module->path, .module_offset = address - module->base};
}

// A return address is the instruction after the call; the call ends at the byte before.
std::uint64_t CodeOf(std::span<const std::uint64_t> stack, std::size_t i) { return i == 0 ? stack[i] : stack[i] - 1; }

}  // namespace

std::vector<SymbolizedFrame> ModuleFrames(std::span<const ModuleDescription> modules,
                                          std::span<const std::uint64_t> stack) {
  std::vector<SymbolizedFrame> frames;
  frames.reserve(stack.size());
  for (std::size_t i = 0; i < stack.size(); ++i) frames.push_back(FrameIn(ModuleContaining(modules, CodeOf(stack, i)), stack[i]));
  return frames;
}

std::vector<SymbolizedFrame> Symbolizer::Symbolize(std::span<const ModuleDescription> modules,
                                                   std::span<const std::uint64_t> stack, std::optional<uid_t> reader) {
  std::vector<SymbolizedFrame> frames;
  frames.reserve(stack.size());
  for (std::size_t i = 0; i < stack.size(); ++i) {
    const std::uint64_t code = CodeOf(stack, i);
    const ModuleDescription* module = ModuleContaining(modules, code);
    if (module == nullptr) {
      frames.push_back(FrameIn(module, stack[i]));
      continue;
    }
    const OpenedFile& opened = FileOf(*module, reader);
    SymbolizedFrame unresolved = FrameIn(module, stack[i]);
    unresolved.unread_module = opened.refusal;
    ElfFile* file = opened.file.get();
    const std::vector<SourceFrame>* source = file != nullptr ? &FramesAt(*file, code - module->base) : nullptr;
    if (source == nullptr || source->empty()) {
      frames.push_back(unresolved);
      continue;
    }
    for (const SourceFrame& s : *source) {
      SymbolizedFrame& frame = frames.emplace_back(unresolved);
      frame.function = s.function;
      frame.file = s.file;
      frame.line = s.line;
      frame.inlined = s.inlined;
    }
  }
  return frames;
}

const Symbolizer::OpenedFile& Symbolizer::FileOf(const ModuleDescription& module, std::optional<uid_t> reader) {
  const bool by_build_id = !module.build_id.empty();
  auto& files = by_build_id ? files_by_build_id_ : files_by_path_;
  const std::int64_t reader_key = reader && *reader != geteuid() ? static_cast<std::int64_t>(*reader) : -1;
  const auto [it, inserted] = files.try_emplace(FileKey(by_build_id ? module.build_id : module.path, reader_key));
  if (inserted) it->second.file = ElfFile::Open(module.path, module.build_id, reader, &it->second.refusal);
  return it->second;
}

const std::vector<SourceFrame>& Symbolizer::FramesAt(ElfFile& file, std::uint64_t elf_address) {
  const auto [it, inserted] = frames_.try_emplace(std::pair<const ElfFile*, std::uint64_t>(&file, elf_address));
  if (inserted) it->second = file.FramesAt(elf_address);
  return it->second;
}

std::string FormatFrame(const SymbolizedFrame& frame) {
  if (!frame.function.empty()) {
    if (frame.file.empty()) return frame.function;
    if (frame.line == 0) return fmt::format("{} at {}", frame.function, frame.file);
    return fmt::format("{} at {}:{}", frame.function, frame.file, frame.line);
  }
  if (!frame.module.empty() && !frame.unread_module.empty()) {
    return fmt::format("{}+{:#x} ({})", frame.module, frame.module_offset, frame.unread_module);
  }
  if (!frame.module.empty()) return fmt::format("{}+{:#x}", frame.module, frame.module_offset);
  return fmt::format("{:#x}", frame.address);
}

}  // namespace memledger
