// frame_roles.cc — see frame_roles.h.
#include "report/frame_roles.h"

#include <array>

namespace memledger {
namespace {

// Objects whose frames are never the user's: the C and C++ runtimes, the
// loader, the Python interpreter.
constexpr std::array<std::string_view, 9> kRuntimeModules = {
    "libstdc++.so", "libc++.so", "libc++abi.so", "libc.so", "libpthread.so",
    "libgcc_s.so",  "ld-linux",  "libpython",    "python3"};
// Where a process and a thread begin (libc's symbols, with or without a file).
constexpr std::array<std::string_view, 6> kStartFunctions = {
    "_start", "__libc_start_main", "__libc_start_call_main", "start_thread", "clone", "clone3"};

bool InRuntimeModule(std::string_view module) {
  const std::string_view name = module.substr(module.rfind('/') + 1);
  for (std::string_view prefix : kRuntimeModules) {
    if (name.starts_with(prefix)) return true;
  }
  return false;
}

// A C++ standard library header (libstdc++'s and libc++'s): std::function,
// std::__invoke, std::thread's trampoline, inlined into the caller.
bool InStandardHeader(std::string_view file) {
  return file.find("/include/c++/") != std::string_view::npos || file.find("/c++/v1/") != std::string_view::npos;
}

}  // namespace

bool FrameRoles::AddAllocatorPattern(std::string_view pattern, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  auto compiled = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
  if (!compiled->ok()) {
    if (error != nullptr) *error = compiled->error();
    return false;
  }
  patterns_.push_back(std::move(compiled));
  return true;
}

FrameRole FrameRoles::RoleOf(const SymbolizedFrame& frame) const {
  for (const auto& pattern : patterns_) {
    if ((!frame.function.empty() && RE2::PartialMatch(frame.function, *pattern)) ||
        (!frame.file.empty() && RE2::PartialMatch(frame.file, *pattern))) {
      return FrameRole::kAllocator;
    }
  }
  if (InStandardHeader(frame.file) || (!frame.module.empty() && InRuntimeModule(frame.module))) {
    return FrameRole::kRuntime;
  }
  for (std::string_view start : kStartFunctions) {
    if (frame.function == start) return FrameRole::kRuntime;
  }
  return FrameRole::kUser;
}

}  // namespace memledger
