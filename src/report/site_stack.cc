// site_stack.cc — see site_stack.h.
#include "report/site_stack.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "event/utf8.h"
#include "report/stack_text.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

constexpr std::string_view kEllipsis = "\u2026";
constexpr std::size_t kFoldedNamesShown = 3;

// "operator<", "operator<<=", "operator->", "operator()": the characters after "operator"
// that are the operator's own, not a template's brackets.
std::size_t OperatorSymbolLength(std::string_view rest) {
  if (rest.starts_with("()")) return 2;  // the call operator: its parameters, if any, follow
  std::size_t n = 0;
  while (n < rest.size() && std::string_view("<>=-!+*/%&|^~[]").find(rest[n]) != std::string_view::npos) ++n;
  return n;
}

// The index just past the bracket that closes the one at `open` (`open`
// and `close` nest); text.size() when unclosed.
std::size_t PastClosing(std::string_view text, std::size_t open, char opening, char closing) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == opening) ++depth;
    if (text[i] == closing && --depth == 0) return i + 1;
  }
  return text.size();
}

// How a demangler (and the symbolizer, symbolize/elf_file.cc) names an unnamed namespace.
constexpr std::string_view kAnonymousNamespace = "(anonymous namespace)";

// The parameter list at `open` is of an enclosing function: "::" follows it
// (after its qualifiers), as in "f(int)::{lambda()#1}::operator()()".
bool EnclosesScope(std::string_view text, std::size_t open) {
  std::string_view rest = text.substr(PastClosing(text, open, '(', ')'));
  for (std::string_view qualifier : {" const", " volatile", " &&", " &"}) {
    if (rest.starts_with(qualifier)) rest.remove_prefix(qualifier.size());
  }
  return rest.starts_with("::");
}

// The file's last component and the line: "leak_sites.cc:17".
std::string ShortPlace(const SymbolizedFrame& frame) {
  if (frame.file.empty()) return FormatFrame(SymbolizedFrame{.address = frame.address, .module = frame.module,
                                                            .module_offset = frame.module_offset}).substr(
                                     frame.module.rfind('/') + 1);
  const std::string_view file = std::string_view(frame.file).substr(frame.file.rfind('/') + 1);
  return frame.line != 0 ? fmt::format("{}:{}", file, frame.line) : std::string(file);
}

std::string Place(const SymbolizedFrame& frame) {
  if (frame.file.empty()) {
    return FormatFrame(SymbolizedFrame{.address = frame.address, .module = frame.module,
                                       .module_offset = frame.module_offset, .unread_module = frame.unread_module});
  }
  return frame.line != 0 ? fmt::format("{}:{}", frame.file, frame.line) : frame.file;
}

// A shown frame's line stays within kFrameLineChars (its "#N " and indent
// aside): the place keeps its tail (the file's name) within kPlaceChars, the
// function what is left, at least kFunctionChars.
constexpr std::size_t kFrameLineChars = 180;
constexpr std::size_t kPlaceChars = 90;
constexpr std::size_t kFunctionChars = 60;

// At most the last `max_chars` bytes of `text` (valid UTF-8), begun on a
// character, with "…" before them when cut.
std::string Tail(const std::string& text, std::size_t max_chars) {
  if (text.size() <= max_chars) return text;
  std::size_t start = text.size() - max_chars;
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return std::string(kEllipsis) + text.substr(start);
}

std::string FrameLine(const SiteFrame& frame, bool full) {
  if (full) return frame.function.empty() ? frame.place : fmt::format("{} at {}", frame.function, frame.place);
  const std::string place = Tail(frame.place, kPlaceChars);
  if (frame.function.empty()) return place;
  const std::size_t room = std::max(kFunctionChars, kFrameLineChars - place.size() - 4);
  return fmt::format("{} at {}", frame.native ? ShortFunctionName(frame.function, room) : frame.function, place);
}

// What a headline or a folded line calls the frame's function.
std::string NameOf(const SiteFrame& frame) {
  if (frame.function.empty()) return frame.short_place;
  return frame.native ? BareFunctionName(frame.function) : frame.function;
}

// "… 3 frames of the allocator (ReportAlloc, Device::Allocate, Buffer::Allocate)":
// the run of frames not the user's from frames[i]; `i` moves past it.
std::string FoldedRun(const std::vector<SiteFrame>& frames, std::size_t& i) {
  std::size_t end = i;
  bool allocator = false, runtime = false;
  std::string names;
  for (; end < frames.size() && frames[end].role != FrameRole::kUser; ++end) {
    allocator |= frames[end].role == FrameRole::kAllocator;
    runtime |= frames[end].role == FrameRole::kRuntime;
    if (end - i < kFoldedNamesShown) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", NameOf(frames[end]));
    } else if (end - i == kFoldedNamesShown) {
      names += fmt::format(", {}", kEllipsis);
    }
  }
  const std::size_t n = end - i;
  i = end;
  return fmt::format("{} {} frame{} of {} ({})", kEllipsis, n, n == 1 ? "" : "s",
                     allocator && runtime ? "the allocator and the runtime"
                     : allocator          ? "the allocator"
                                          : "the runtime",
                     ShortFunctionName(names, 120));
}

// The frames a headline may name: the user's, from the headline's down.
std::vector<const SiteFrame*> UserFrames(const SiteStack& stack) {
  std::vector<const SiteFrame*> out;
  for (std::size_t i = stack.first_user; i < stack.frames.size(); ++i) {
    if (stack.frames[i].role == FrameRole::kUser) out.push_back(&stack.frames[i]);
  }
  return out;
}

}  // namespace

std::string ShortFunctionName(std::string_view function, std::size_t max_chars) {
  std::string out;
  out.reserve(function.size());
  for (std::size_t i = 0; i < function.size();) {
    if (function.substr(i).starts_with(kAnonymousNamespace)) {
      out += kAnonymousNamespace;
      i += kAnonymousNamespace.size();
    } else if (function.substr(i).starts_with("operator")) {
      const std::size_t n = 8 + OperatorSymbolLength(function.substr(i + 8));
      out += function.substr(i, n);
      i += n;
    } else if (function[i] == '<') {
      out += '<';
      out += kEllipsis;
      out += '>';
      i = PastClosing(function, i, '<', '>');
    } else if (function.substr(i).starts_with("{lambda(")) {
      out += "{lambda(";
      out += kEllipsis;
      out += ')';
      i = PastClosing(function, i + 7, '(', ')');
    } else if (function[i] == '(' && EnclosesScope(function, i)) {
      // The parameters of a function a lambda or local class is in.
      out += '(';
      out += kEllipsis;
      out += ')';
      i = PastClosing(function, i, '(', ')');
    } else {
      out += function[i++];
    }
  }
  if (out.size() > max_chars) {
    const std::size_t keep = (max_chars - kEllipsis.size()) / 2;
    // The cut may split a character at the tail's start: made valid again.
    out = ValidUtf8(std::string(Utf8Prefix(out, keep)) + std::string(kEllipsis) + out.substr(out.size() - keep));
  }
  return out;
}

std::string BareFunctionName(std::string_view function) {
  std::string name = ShortFunctionName(function, std::string::npos);
  // Drop qualifiers after the parameters, then the parameters.
  for (std::string_view suffix : {" const", " volatile", " &&", " &"}) {
    if (std::string_view(name).ends_with(suffix)) name.resize(name.size() - suffix.size());
  }
  if (!name.empty() && name.back() == ')') {
    int depth = 0;
    for (std::size_t i = name.size(); i-- > 0;) {
      if (name[i] == ')') ++depth;
      if (name[i] == '(' && --depth == 0) {
        // "operator()" keeps its own parentheses.
        if (!std::string_view(name).substr(0, i).ends_with("operator")) name.resize(i);
        break;
      }
    }
  }
  // The last "::" outside brackets; "operator()" keeps what it belongs to.
  std::vector<std::size_t> cuts;
  int depth = 0;
  for (std::size_t i = 0; i + 1 < name.size(); ++i) {
    if (name[i] == '<' || name[i] == '(' || name[i] == '{') ++depth;
    if (name[i] == '>' || name[i] == ')' || name[i] == '}') --depth;
    if (depth == 0 && name[i] == ':' && name[i + 1] == ':') cuts.push_back(i + 2);
  }
  if (cuts.empty()) return name;
  // "operator()" keeps what it is of; a method its class (by the usual
  // convention, a capitalized name: namespaces are dropped).
  const std::string_view last = std::string_view(name).substr(cuts.back());
  const std::size_t owner = cuts.size() >= 2 ? cuts[cuts.size() - 2] : 0;
  // A lambda is named by the function it is in (through lambdas in lambdas):
  // "lambda in Run", not "{lambda(…)#1}::operator()".
  if (last.starts_with("operator()") && std::string_view(name).substr(owner).starts_with("{lambda(")) {
    cuts.insert(cuts.begin(), 0);
    for (std::size_t c = cuts.size(); c-- > 0;) {
      const std::size_t end = c + 1 < cuts.size() ? cuts[c + 1] - 2 : name.size();
      const std::string_view part = std::string_view(name).substr(cuts[c], end - cuts[c]);
      if (part.starts_with("{lambda(") || part.starts_with("operator()")) continue;
      return "lambda in " + std::string(part.substr(0, part.find('(')));
    }
  }
  const bool is_class = std::isupper(static_cast<unsigned char>(name[owner])) != 0;
  if (last.starts_with("operator()") || is_class) return name.substr(owner);
  return std::string(last);
}

SiteStacks::SiteStacks(StackSymbols& symbols, StackOptions options) : symbols_(symbols), options_(std::move(options)) {
  FrameRoles check;
  for (const std::string& pattern : options_.skip_patterns) {
    std::string error;
    if (!check.AddAllocatorPattern(pattern, &error)) pattern_errors_.push_back(fmt::format("{}: {}", pattern, error));
  }
}

const FrameRoles& SiteStacks::RolesOf(const ProcessBooks& books) {
  auto& roles = roles_[&books];
  if (roles == nullptr) {
    roles = std::make_unique<FrameRoles>();
    // The process's patterns were checked when it sent them (ledger.h); a
    // report's were said by pattern_errors.
    for (const std::string& pattern : books.skip_frames) roles->AddAllocatorPattern(pattern, nullptr);
    for (const std::string& pattern : options_.skip_patterns) roles->AddAllocatorPattern(pattern, nullptr);
  }
  return *roles;
}

const SiteStack& SiteStacks::Read(const ProcessBooks& books, std::uint32_t stack) {
  auto& slot = stacks_[{&books, stack}];
  if (slot != nullptr) return *slot;
  slot = std::make_unique<SiteStack>();
  const FrameRoles& roles = RolesOf(books);
  for (const SymbolizedFrame& frame : StackFrames(books, stack, symbols_)) {
    slot->frames.push_back(SiteFrame{ValidUtf8(frame.function), ValidUtf8(Place(frame)), roles.RoleOf(frame),
                                     ValidUtf8(ShortPlace(frame)), !IsLanguageFrame(frame.address)});
  }
  auto& frames = slot->frames;
  slot->first_user = static_cast<std::size_t>(
      std::find_if(frames.begin(), frames.end(), [](const SiteFrame& f) { return f.role == FrameRole::kUser; }) -
      frames.begin());
  // A stack with no frame of the user's is shown and told apart whole.
  if (slot->first_user == frames.size()) {
    for (SiteFrame& frame : frames) frame.role = FrameRole::kUser;
    slot->first_user = 0;
  }
  // A site is what its frames to the depth shown make it; shown none
  // (--no-stacks), the sites are the default report's.
  const std::size_t depth = options_.depth != 0 ? options_.depth : StackOptions{}.depth;
  std::size_t shown = 0;
  for (std::size_t i = slot->first_user; i < frames.size() && shown < depth; ++i) {
    if (frames[i].role != FrameRole::kUser) continue;
    ++shown;
    fmt::format_to(std::back_inserter(slot->identity), "{}\x1f{}\x1e", frames[i].function, frames[i].place);
  }
  return *slot;
}

bool SiteStacks::ShowsStackHere(const SiteStack& stack) {
  if (options_.depth == 0 && !options_.full) return true;  // no stack is shown anywhere: none is above
  return !stack.frames.empty() && shown_.insert(stack.identity).second;
}

const std::string& SiteStacks::Headline(const SiteStack& stack) {
  if (named_stacks_ != stacks_.size()) {
    absl::flat_hash_map<std::string, const SiteStack*> distinct;
    for (const auto& [key, read] : stacks_) distinct.try_emplace(read->identity, read.get());
    std::vector<const SiteStack*> sites;
    for (const auto& [identity, read] : distinct) sites.push_back(read);
    // In identity order, so that numbered headlines are the same every run.
    std::sort(sites.begin(), sites.end(), [](const SiteStack* a, const SiteStack* b) { return a->identity < b->identity; });
    const std::vector<std::string> labels = Headlines(sites);
    headlines_.clear();
    for (std::size_t i = 0; i < sites.size(); ++i) headlines_[sites[i]->identity] = labels[i];
    named_stacks_ = stacks_.size();
  }
  return headlines_.at(stack.identity);
}

std::vector<std::string> SiteStacks::Lines(const SiteStack& stack) const {
  std::vector<std::string> lines;
  const auto& frames = stack.frames;
  if (options_.full) {
    for (std::size_t i = 0; i < frames.size(); ++i) lines.push_back(fmt::format("#{} {}", i, FrameLine(frames[i], true)));
    return lines;
  }
  if (options_.depth == 0) return lines;
  std::size_t shown = 0;
  for (std::size_t i = 0; i < frames.size();) {
    if (shown == options_.depth) {
      // The rest: one folded run is said as itself; more, by their count.
      std::size_t end = i;
      std::string run = frames[i].role != FrameRole::kUser ? FoldedRun(frames, end) : std::string();
      const std::size_t more = frames.size() - i;
      lines.push_back(end == frames.size() ? std::move(run)
                                           : fmt::format("{} {} more frame{}", kEllipsis, more, more == 1 ? "" : "s"));
      break;
    }
    if (frames[i].role == FrameRole::kUser) {
      lines.push_back(fmt::format("#{} {}", i, FrameLine(frames[i], false)));
      ++shown;
      ++i;
      continue;
    }
    lines.push_back(FoldedRun(frames, i));
  }
  return lines;
}

std::vector<std::string> SiteStacks::Boxes(const SiteStack& stack) const {
  std::vector<std::string> boxes;
  const auto& frames = stack.frames;
  for (std::size_t i = 0; i < frames.size();) {
    if (options_.full) {
      boxes.push_back(FrameLine(frames[i++], true));
    } else if (frames[i].role == FrameRole::kUser) {
      const SiteFrame& frame = frames[i++];
      boxes.push_back(frame.function.empty() ? frame.short_place
                                             : fmt::format("{} at {}", NameOf(frame), frame.short_place));
    } else {
      boxes.push_back(FoldedRun(frames, i));
    }
  }
  return boxes;
}

std::vector<std::string> Headlines(const std::vector<const SiteStack*>& sites) {
  const std::size_t n = sites.size();
  std::vector<std::vector<const SiteFrame*>> user(n);
  for (std::size_t s = 0; s < n; ++s) user[s] = UserFrames(*sites[s]);
  std::vector<std::size_t> level(n, 0);
  const auto label = [&](std::size_t s) -> std::string {
    if (sites[s]->frames.empty()) return "(no stack: MEMLEDGER_STACKS=1 records them)";
    if (user[s].empty()) return "(no frame of the program's own)";
    std::string out;
    const std::size_t last = std::min(level[s], user[s].size() - 1);
    for (std::size_t k = 0; k <= last; ++k) {
      const SiteFrame& f = *user[s][k];
      out += fmt::format("{}{}", k == 0 ? "" : " \u2190 ", NameOf(f));
    }
    const SiteFrame& at = *user[s][last];
    if (!at.function.empty()) out += fmt::format(" at {}", at.short_place);
    return out;
  };
  std::vector<std::string> labels(n);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t s = 0; s < n; ++s) labels[s] = label(s);
    std::map<std::string, std::vector<std::size_t>> by_label;
    for (std::size_t s = 0; s < n; ++s) by_label[labels[s]].push_back(s);
    for (const auto& [text, members] : by_label) {
      bool differ = false;
      for (std::size_t m : members) differ |= sites[m]->identity != sites[members[0]]->identity;
      if (!differ) continue;
      for (std::size_t m : members) {
        if (level[m] + 1 < user[m].size()) {
          ++level[m];
          changed = true;
        }
      }
    }
  }
  // Sites the callers shown cannot tell apart (they differ in a frame's
  // place only): numbered, in order.
  std::map<std::string, std::vector<std::string>> identities_of;
  for (std::size_t s = 0; s < n; ++s) {
    auto& seen = identities_of[labels[s]];
    const auto it = std::find(seen.begin(), seen.end(), sites[s]->identity);
    const std::size_t index = static_cast<std::size_t>(it - seen.begin());
    if (it == seen.end()) seen.push_back(sites[s]->identity);
    if (index > 0) labels[s] += fmt::format(" [{}]", index + 1);
  }
  return labels;
}

}  // namespace memledger
