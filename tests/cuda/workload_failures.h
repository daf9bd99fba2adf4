// workload_failures.h — the test workload's tally of CUDA calls that did not
// do what CUDA promises: each is printed with its thread and iteration.
#pragma once

#include <cstdio>

struct WorkloadFailures {
  int count = 0;
  void Expect(bool ok, const char* what, int thread, int iteration) {
    if (ok) return;
    ++count;
    std::fprintf(stderr, "workload: thread %d iteration %d: %s\n", thread, iteration, what);
  }
};
