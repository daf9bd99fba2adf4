// frame_roles.cc — see frame_roles.h.
#include "report/frame_roles.h"

#include <array>
#include <initializer_list>

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
// std::__invoke, std::thread's trampoline, inlined into the caller; and
// libstdc++'s target headers under the multiarch directory
// (/usr/include/x86_64-linux-gnu/c++/12/bits/gthr-default.h: a mutex's
// inlined unlock).
bool InStandardHeader(std::string_view file) {
  return file.find("/include/c++/") != std::string_view::npos || file.find("/c++/v1/") != std::string_view::npos ||
         (file.find("/include/") != std::string_view::npos && file.find("/c++/") != std::string_view::npos &&
          file.find("/bits/") != std::string_view::npos);
}

// Installed Python code, a language frame's file: a package under
// site-packages or dist-packages (pytest, a runtime's wheel), or the
// standard library (/usr/lib/python3.11/...). The user's code is what they
// run from their tree; what they installed is plumbing for a site's name.
bool InstalledPython(std::string_view file) {
  if (file.find("/site-packages/") != std::string_view::npos || file.find("/dist-packages/") != std::string_view::npos) {
    return true;
  }
  // /lib/python3/... or /lib/python3.N/...
  constexpr std::string_view kLib = "/lib/python3";
  for (std::size_t lib = file.find(kLib); lib != std::string_view::npos; lib = file.find(kLib, lib + 1)) {
    std::size_t at = lib + kLib.size();
    if (at < file.size() && file[at] == '.') {
      const std::size_t digits = ++at;
      while (at < file.size() && file[at] >= '0' && file[at] <= '9') ++at;
      if (at == digits) continue;
    }
    if (at < file.size() && file[at] == '/') return true;
  }
  return false;
}

// A demangled name up to its first template argument or parameter list:
// "void std::__invoke_impl", "app::Run".
std::string_view ScopeOf(std::string_view function) { return function.substr(0, function.find_first_of("<(")); }

// Whether a scope (ScopeOf) is inside one of `namespaces` ("std::"): it
// begins with one, or one follows the return type a template function's
// name begins with.
bool InScope(std::string_view scope, std::initializer_list<std::string_view> namespaces) {
  for (std::string_view prefix : namespaces) {
    const std::size_t at = scope.find(prefix);
    if (at == 0 || (at != std::string_view::npos && scope[at - 1] == ' ')) return true;
  }
  return false;
}
// A function of the C++ standard library by its demangled name: its scope
// is std's (a template function's name begins with its return type: "void
// std::__invoke_impl<…>").
bool StandardFunction(std::string_view function) {
  const std::string_view scope = ScopeOf(function);
  return InScope(scope, {"std::", "__gnu_cxx::", "__cxxabiv1::"});
}
// GoogleTest's own machinery (testing::internal::HandleExceptionsInMethodIfSupported,
// testing::Test::Run), wherever it was compiled: plumbing above a test's body,
// as pytest's frames are above a Python test's.
bool TestFrameworkFunction(std::string_view function) { return InScope(ScopeOf(function), {"testing::"}); }

// The standard library's own code: a frame in its headers — but for a
// function of the user's whose line lies in standard code inlined into it
// without a scope of its own (a destructor's, an optional's reset): the
// outermost frame at an address, named in full, is the function that
// holds the code.
bool InStandardCode(const SymbolizedFrame& frame) {
  if (!InStandardHeader(frame.file)) return false;
  const bool named_in_full = ScopeOf(frame.function).find("::") != std::string_view::npos;
  return frame.inlined || !named_in_full || StandardFunction(frame.function);
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
  // A language frame has a file and no module (a native frame without a
  // module has no file either).
  if (InStandardCode(frame) || (!frame.module.empty() && InRuntimeModule(frame.module)) ||
      (frame.module.empty() && InstalledPython(frame.file)) || TestFrameworkFunction(frame.function)) {
    return FrameRole::kRuntime;
  }
  for (std::string_view start : kStartFunctions) {
    if (frame.function == start) return FrameRole::kRuntime;
  }
  return FrameRole::kUser;
}

}  // namespace memledger
