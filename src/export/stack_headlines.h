// stack_headlines.h — the headline of every stack a process described, as
// the text report names a site by it (report/site_stack.h: "AllocateAndLeak
// at leak_sites.cc:17"), all read before the first is asked for, so that
// each is final (told apart from every other's) before an export writes it.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <string>

#include "ledger/ledger.h"
#include "report/site_stack.h"

namespace memledger {

class StackHeadlines {
 public:
  StackHeadlines(const ProcessBooks& books, const StackOptions& options);
  // The headline of `stack`; "" for stack 0, one never described, or one
  // with no frame left (memledger's own only).
  const std::string& Of(std::uint32_t stack) const;

 private:
  absl::flat_hash_map<std::uint32_t, std::string> headlines_;
};

}  // namespace memledger
