// run_threads.h — RunThreads: runs a workload body on N threads and joins them.
//
// Thread-safety: `body` runs concurrently on every thread.
#pragma once

#include <cstdint>
#include <functional>

namespace memledger::sim {

// Runs body(0) .. body(count - 1), each on its own thread, and joins them all;
// then rethrows the first exception a thread threw, if any.
void RunThreads(std::uint32_t count, const std::function<void(std::uint32_t thread)>& body);

}  // namespace memledger::sim
