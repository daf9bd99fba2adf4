// futex.h — futex wait/wake on 32-bit words in shared memory (not private:
// the ring's words are shared between processes).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace memledger {

// Sleeps while *word == expected, at most `timeout`; spurious wake-ups happen.
void FutexWait(std::atomic<std::uint32_t>& word, std::uint32_t expected, std::chrono::nanoseconds timeout);
// Wakes every waiter on `word`.
void FutexWakeAll(std::atomic<std::uint32_t>& word);

}  // namespace memledger
