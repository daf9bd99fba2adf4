// stack_headlines.cc — see stack_headlines.h.
#include "export/stack_headlines.h"

#include <vector>

#include "symbolize/symbolizer.h"

namespace memledger {

StackHeadlines::StackHeadlines(const ProcessBooks& books, const StackOptions& options) {
  Symbolizer symbolizer;
  SiteStacks stacks(symbolizer, options);
  std::vector<std::pair<std::uint32_t, const SiteStack*>> read;
  for (const auto& [id, frames] : books.stacks) {
    const SiteStack& stack = stacks.Read(books, id);
    if (!stack.frames.empty()) read.emplace_back(id, &stack);
  }
  for (const auto& [id, stack] : read) headlines_[id] = stacks.Headline(*stack);
}

const std::string& StackHeadlines::Of(std::uint32_t stack) const {
  static const std::string kNone;
  const auto it = headlines_.find(stack);
  return it == headlines_.end() ? kNone : it->second;
}

}  // namespace memledger
