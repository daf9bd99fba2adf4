// compare_tests_command.h — `memledger compare-tests BEFORE.json AFTER.json`:
// two runs of a test suite under the pytest plugin (--memledger-json,
// schema memledger.tests/1) side by side — the tests whose leaks grew (a
// test that leaves more buffers or bytes live than before, new leaks
// included) and those whose device peak above their start grew (beyond
// --tolerance percent) — for a CI job that keeps a suite's memory from
// creeping. --fail-on growth exits with status 3 (fail_on.h's) when any did.
//
// Files that cannot be read, are not JSON or not of the schema are an error
// (exit 1) naming the file and what is wrong.
#pragma once

#include <string>

namespace memledger {

struct CompareTestsOptions {
  std::string before;
  std::string after;
  double tolerance_percent = 0;  // a peak grew: after > before x (1 + this / 100)
  bool fail_on_growth = false;
};

int CompareTestsCommand(const CompareTestsOptions& options);

}  // namespace memledger
