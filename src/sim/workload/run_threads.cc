// run_threads.cc — thread start, join and exception hand-back.
#include "sim/workload/run_threads.h"

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace memledger::sim {

void RunThreads(std::uint32_t count, const std::function<void(std::uint32_t thread)>& body) {
  std::mutex mutex;
  std::exception_ptr first_error;  // protected by mutex
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::uint32_t index = 0; index < count; ++index) {
    threads.emplace_back([&, index] {
      try {
        body(index);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace memledger::sim
