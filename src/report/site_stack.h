// site_stack.h — an allocation site as a person reads it: its stack's frames
// with whose each is (frame_roles.h), the runs that belong to nobody folded
// into one "… N frames" line, C++ templates shortened, and a headline that
// names the site by its first frame in the user's code. Sites are the same
// site when the frames they show are (function and place of each frame from
// the headline down `depth` user frames): return addresses within one line,
// devices, types, tags and frames below the depth do not split a site.
//
// One SiteStacks per report: it reads each (process, stack) once. Not
// thread-safe.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "report/frame_roles.h"
#include "symbolize/stack_symbols.h"

namespace memledger {

struct StackOptions {
  std::size_t depth = 3;                    // user frames shown from the headline down; 0: no stacks (--no-stacks)
  bool full = false;                        // every frame, names unshortened (--full-stacks)
  std::vector<std::string> skip_patterns{}; // allocator frames the report declares (--skip-frames)
};

struct SiteFrame {
  std::string function;  // demangled as symbolized ("" when unknown)
  std::string place;     // "file:line", the file, module+offset or the address
  FrameRole role = FrameRole::kUser;
  std::string short_place{};  // the place's last component: "leak_sites.cc:17"
  bool native = true;         // a C/C++ name (templates shortened); a language frame's is shown as described
};

struct SiteStack {
  std::vector<SiteFrame> frames;  // innermost first; memledger's own frames left out
  std::size_t first_user = 0;     // the headline's frame; frames.size() when none is the user's
  std::string identity;           // what makes two sites one (the frames shown)
};

// "std::vector<…>::push_back(int const&)": every template's arguments as
// "…", a lambda's parameters as "(…)"; at most `max_chars` characters
// (the middle cut to "…").
std::string ShortFunctionName(std::string_view function, std::size_t max_chars = 160);
// "leak_weights", "Device::Allocate", "operator()": a function's last name
// (its class kept), for headlines.
std::string BareFunctionName(std::string_view function);

class SiteStacks {
 public:
  SiteStacks(StackSymbols& symbols, StackOptions options);

  // The stack `stack` of `books`' process (stack 0 or one never described:
  // no frames, identity ""). Valid while this SiteStacks lives.
  const SiteStack& Read(const ProcessBooks& books, std::uint32_t stack);
  // What a report prints of it, a line each, numbered as in the whole stack:
  // "#3 AllocateAndLeak at src/sim/workload/leak_sites.cc:17", folded runs as
  // "… 3 frames: allocator (ReportAlloc, Device::Allocate, Buffer::Allocate)",
  // at most options.depth user frames from the headline, the rest as
  // "… N more frames". Every frame, unshortened, with options.full.
  std::vector<std::string> Lines(const SiteStack& stack) const;
  // Its frames as a flame graph's boxes, innermost first: the user's as its
  // headline names them ("AllocateAndLeak at leak_sites.cc:17"), each folded
  // run as one box, no depth limit; every frame unshortened with options.full.
  std::vector<std::string> Boxes(const SiteStack& stack) const;
  // Its headline (Headlines over every distinct site read so far: read all
  // a report lists before it prints the first, and each has one headline
  // throughout, distinct from every other's).
  const std::string& Headline(const SiteStack& stack);
  // Whether a report being rendered shows `stack`'s lines here: true the
  // first time it asks for a site (a report prints each site's stack once,
  // where the site first appears; later its headline alone names it),
  // false after, until ForgetShown() begins the next rendering. Always
  // true with --no-stacks (depth 0): no stack is shown, so none is above.
  bool ShowsStackHere(const SiteStack& stack);
  void ForgetShown() { shown_.clear(); }
  // The patterns a report's --skip-frames gave that RE2 refused, with why.
  const std::vector<std::string>& pattern_errors() const { return pattern_errors_; }
  const StackOptions& options() const { return options_; }
  StackSymbols& symbols() { return symbols_; }

 private:
  const FrameRoles& RolesOf(const ProcessBooks& books);

  StackSymbols& symbols_;
  StackOptions options_;
  std::vector<std::string> pattern_errors_;
  absl::flat_hash_map<const ProcessBooks*, std::unique_ptr<FrameRoles>> roles_;
  absl::flat_hash_map<std::pair<const ProcessBooks*, std::uint32_t>, std::unique_ptr<SiteStack>> stacks_;
  // Headlines by identity, of the stacks read when they were named.
  absl::flat_hash_map<std::string, std::string> headlines_;
  std::size_t named_stacks_ = 0;
  // Identities whose stacks this rendering has shown.
  absl::flat_hash_set<std::string> shown_;
};

// A headline for each of `sites` (in order), pairwise distinct where the
// sites' identities differ: "AllocateAndLeak at leak_sites.cc:17"; where
// several share that, the callers that tell them apart
// ("AllocateAndLeak ← leak_weights at leak_sites.cc:27"); "(no stack:
// MEMLEDGER_STACKS=1 records them)" for a site without frames, "(no frame of
// the program's own)" when all are folded.
std::vector<std::string> Headlines(const std::vector<const SiteStack*>& sites);

}  // namespace memledger
