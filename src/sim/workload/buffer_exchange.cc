// buffer_exchange.cc — the FIFO hand-over.
#include "sim/workload/buffer_exchange.h"

#include <utility>

namespace memledger::sim {

BufferExchange::BufferExchange(std::size_t depth) : depth_(depth) {}

std::optional<Buffer> BufferExchange::Trade(Buffer buffer) {
  std::lock_guard lock(mutex_);
  buffers_.push_back(std::move(buffer));
  if (buffers_.size() <= depth_) return std::nullopt;
  Buffer oldest = std::move(buffers_.front());
  buffers_.pop_front();
  return oldest;
}

std::optional<Buffer> BufferExchange::Take() {
  std::lock_guard lock(mutex_);
  if (buffers_.empty()) return std::nullopt;
  Buffer oldest = std::move(buffers_.front());
  buffers_.pop_front();
  return oldest;
}

}  // namespace memledger::sim
