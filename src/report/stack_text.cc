// stack_text.cc — see stack_text.h.
#include "report/stack_text.h"

#include <span>
#include <string_view>

#include "event/utf8.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {
// memledger's own code: the library, the CUDA interposer (its cudaMalloc is
// what the program called: the program's frame calling it is the site), and
// the inline hooks of its public headers (compiled into the caller).
bool InMemledger(const SymbolizedFrame& frame) {
  const std::string_view file_name = std::string_view(frame.module).substr(frame.module.rfind('/') + 1);
  if (file_name.starts_with("libmemledger.so") || file_name.starts_with("libmemledger_cuda.so")) return true;
  const std::string_view file(frame.file);
  return file.ends_with("/memledger/memledger.h") || file.ends_with("/memledger/memledger.hpp");
}

// A language frame the process never described is its bare value, like a
// native frame in no module.
SymbolizedFrame LanguageFrameOf(const ProcessBooks& books, std::uint64_t value) {
  const auto it = books.language_frames.find(value);
  if (it == books.language_frames.end()) return SymbolizedFrame{.address = value};
  const LanguageFrame& frame = it->second;
  return SymbolizedFrame{
      .address = value, .function = frame.function, .file = frame.file, .line = static_cast<int>(frame.line)};
}
}  // namespace

std::vector<SymbolizedFrame> StackFrames(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols) {
  std::vector<SymbolizedFrame> out;
  const auto found = books.stacks.find(stack);
  if (stack == 0 || found == books.stacks.end()) return out;
  const std::span<const std::uint64_t> frames(found->second);
  // The client writes the native frames first, then the language frames
  // (outer to them). Each run of native frames is symbolized as a stack of
  // its own: its first frame is looked up as the innermost one.
  for (std::size_t i = 0; i < frames.size();) {
    if (IsLanguageFrame(frames[i])) {
      out.push_back(LanguageFrameOf(books, frames[i++]));
      continue;
    }
    std::size_t end = i;
    while (end < frames.size() && !IsLanguageFrame(frames[end])) ++end;
    const std::span<const std::uint64_t> native = frames.subspan(i, end - i);
    std::optional<std::vector<SymbolizedFrame>> known = symbols.Frames(books.modules, native, books.uid);
    for (SymbolizedFrame& frame : known ? *known : ModuleFrames(books.modules, native)) {
      if (!InMemledger(frame)) out.push_back(std::move(frame));
    }
    i = end;
  }
  return out;
}

std::string FrameLine(const SymbolizedFrame& frame) {
  return ValidUtf8(FormatFrame(frame));  // module paths are raw bytes
}

std::vector<std::string> StackLines(const ProcessBooks& books, std::uint32_t stack, StackSymbols& symbols) {
  std::vector<std::string> lines;
  for (const SymbolizedFrame& frame : StackFrames(books, stack, symbols)) lines.push_back(FrameLine(frame));
  return lines;
}

}  // namespace memledger
