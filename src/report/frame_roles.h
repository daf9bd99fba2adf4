// frame_roles.h — whose a symbolized frame is, for reports: the user's code,
// the language runtime's plumbing (the C++ standard library's headers and
// libraries, libc's thread and process start, the Python interpreter and
// installed Python code: site-packages, dist-packages, the standard
// library — pytest's frames above a test's line; GoogleTest's testing::
// machinery above a test's body), or
// an allocator the integrator declared (patterns the process sent with
// memledger_skip_frames or MEMLEDGER_SKIP_FRAMES, and a report's
// --skip-frames). Reports fold the last two into one line and label a site
// by its first frame in the user's code (site_stack.h).
//
// Patterns are RE2 (linear time whatever the pattern: a hostile process's
// pattern cannot stall a server), searched in the frame's function name and
// in its source file. A pattern RE2 refuses is kept out, and said.
//
// Not thread-safe; const methods may be called from several threads.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "symbolize/stack_symbols.h"

namespace memledger {

enum class FrameRole : std::uint8_t {
  kUser,       // the frames a site is named by
  kRuntime,    // standard library and interpreter plumbing
  kAllocator,  // declared: the integrator's allocator, its hook wrappers
};

class FrameRoles {
 public:
  // Adds an allocator pattern; false (with *error saying why) when RE2
  // refuses it.
  bool AddAllocatorPattern(std::string_view pattern, std::string* error);
  // A language frame (a Python function) is passed with its function and
  // file and no module: the user's code unless a pattern declares it.
  FrameRole RoleOf(const SymbolizedFrame& frame) const;
  std::size_t pattern_count() const { return patterns_.size(); }

 private:
  std::vector<std::unique_ptr<RE2>> patterns_;
};

}  // namespace memledger
