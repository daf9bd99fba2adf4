// symbolize_fixture.h — a small shared library for symbolizer_test whose
// calls record their return address and the source line they are on. Built
// -O2 -g -fno-optimize-sibling-calls: every call stays a call (not a jump),
// so the return address it records lies in the function that made it.
#pragma once

#include <cstdint>

// One call made inside the fixture, to fixture_ns::RecordCallSite.
struct FixtureCallSite {
  std::uint64_t recorder = 0;        // entry of the callee, fixture_ns::RecordCallSite
  std::uint64_t return_address = 0;  // the instruction after the call
  int line = 0;                      // __LINE__ of the call
  int caller_line = 0;               // for a call in an inlined helper: __LINE__ of the helper's call
};

// Makes the call itself.
extern "C" void leaf_function(FixtureCallSite* site);

namespace fixture_ns {
struct Widget {
  // Makes the call through fixture_ns::RecordFromHelper, an always_inline
  // helper: the return address lies in the helper's code inlined into make.
  static void make(FixtureCallSite* site);
  // Makes the call in a lambda inlined into it, then in one kept out of line.
  static void make_in_lambdas(FixtureCallSite* inlined, FixtureCallSite* out_of_line);
  // Makes the call in a method of a class in an unnamed namespace (as
  // GoogleTest's TEST makes them), which GCC gives no linkage name.
  static void make_in_hidden_class(FixtureCallSite* site);
};
// Makes the call; C linkage though declared in a namespace: its symbol is
// its bare name, and so is its frame's.
extern "C" void c_linkage_in_namespace(FixtureCallSite* site);
}  // namespace fixture_ns
