// language_frames.h — the language frames this process interned
// (memledger_intern_frame): one synthetic frame value (record.h,
// LanguageFrameValue) per distinct function, file and line, kept with its
// LANGUAGE_FRAME payload so that a server handover can describe every one
// again.
//
// Thread-safety: not thread-safe; the client calls it under its stack mutex,
// on a language binding's new-frame path only.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace memledger {

class LanguageFrameTable {
 public:
  // As many as the ledger keeps per process.
  static constexpr std::size_t kMaxFrames = 1 << 18;

  struct Interned {
    std::uint64_t value;  // 0: the table is full
    bool is_new;          // its caller sends the LANGUAGE_FRAME record
  };
  // `payload`: the frame as EncodeLanguageFrame wrote it.
  Interned Intern(const std::string& payload);

  // Every frame interned, (value, payload), in the order interned.
  const std::vector<std::pair<std::uint64_t, std::string>>& frames() const { return frames_; }

 private:
  absl::flat_hash_map<std::string, std::uint64_t> values_;  // by payload
  std::vector<std::pair<std::uint64_t, std::string>> frames_;
};

}  // namespace memledger
