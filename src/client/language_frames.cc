// language_frames.cc — see language_frames.h.
#include "client/language_frames.h"

#include "event/record.h"

namespace memledger {

LanguageFrameTable::Interned LanguageFrameTable::Intern(const std::string& payload) {
  if (const auto it = values_.find(payload); it != values_.end()) return {it->second, false};
  if (frames_.size() >= kMaxFrames) return {0, false};
  const std::uint64_t value = LanguageFrameValue(static_cast<std::uint32_t>(frames_.size() + 1));
  values_.emplace(payload, value);
  frames_.emplace_back(value, payload);
  return {value, true};
}

}  // namespace memledger
