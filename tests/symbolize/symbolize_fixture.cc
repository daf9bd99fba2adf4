// symbolize_fixture.cc — see symbolize_fixture.h.
#include "symbolize_fixture.h"

namespace fixture_ns {

__attribute__((noinline)) void RecordCallSite(FixtureCallSite* site, int line) {
  site->recorder = reinterpret_cast<std::uint64_t>(&RecordCallSite);
  site->return_address = reinterpret_cast<std::uint64_t>(__builtin_return_address(0));
  site->line = line;
}

__attribute__((always_inline)) inline void RecordFromHelper(FixtureCallSite* site, int caller_line) {
  site->caller_line = caller_line;
  RecordCallSite(site, __LINE__);
}

void Widget::make(FixtureCallSite* site) { RecordFromHelper(site, __LINE__); }

void Widget::make_in_lambdas(FixtureCallSite* inlined, FixtureCallSite* out_of_line) {
  const auto in_line = [](FixtureCallSite* site) __attribute__((always_inline)) { RecordCallSite(site, __LINE__); };
  const auto kept = [](FixtureCallSite* site) __attribute__((noinline)) { RecordCallSite(site, __LINE__); };
  in_line(inlined);
  kept(out_of_line);
}

namespace {
struct Hidden_Test {
  void TestBody(FixtureCallSite* site);
};
__attribute__((noinline)) void Hidden_Test::TestBody(FixtureCallSite* site) { RecordCallSite(site, __LINE__); }
}  // namespace

void Widget::make_in_hidden_class(FixtureCallSite* site) { Hidden_Test().TestBody(site); }

extern "C" void c_linkage_in_namespace(FixtureCallSite* site) { RecordCallSite(site, __LINE__); }

}  // namespace fixture_ns

extern "C" void leaf_function(FixtureCallSite* site) { fixture_ns::RecordCallSite(site, __LINE__); }
