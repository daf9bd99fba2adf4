// buffer_exchange.h — BufferExchange: a shared FIFO through which threads hand
// buffers to each other, so that a buffer is usually deallocated by another
// thread than the one that allocated it.
//
// Thread-safety: thread-safe; one mutex guards the queue. Buffers leave the
// exchange before they are deallocated, so no free runs under its lock.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "sim/buffer.h"

namespace memledger::sim {

class BufferExchange {
 public:
  explicit BufferExchange(std::size_t depth);

  // Puts `buffer` in and, when more than `depth` buffers are held, hands back
  // the oldest one (most likely another thread's).
  std::optional<Buffer> Trade(Buffer buffer);
  // The oldest buffer held, if any.
  std::optional<Buffer> Take();

 private:
  const std::size_t depth_;
  std::mutex mutex_;
  std::deque<Buffer> buffers_;  // oldest first; protected by mutex_
};

}  // namespace memledger::sim
