// live_buffers.cc — RecentFrees (see live_buffers.h).
#include "ledger/live_buffers.h"

#include <algorithm>

namespace memledger {

RecentFrees::RecentFrees(std::size_t capacity) : fifo_(std::max<std::size_t>(capacity, 1)) {
  set_.reserve(fifo_.size());
}

void RecentFrees::Remember(const LiveKey& key) {
  LiveKey& oldest = fifo_[next_];
  if (filled_ == fifo_.size()) {
    set_.erase(oldest);
  } else {
    ++filled_;
  }
  oldest = key;
  set_.insert(key);
  next_ = (next_ + 1) % fifo_.size();
}

}  // namespace memledger
