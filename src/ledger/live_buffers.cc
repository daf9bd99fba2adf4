// live_buffers.cc — RecentFrees (see live_buffers.h).
#include "ledger/live_buffers.h"

namespace memledger {

RecentFrees::RecentFrees(std::size_t capacity_log2)
    // A key no event can produce marks an empty slot.
    : slots_(std::size_t{1} << capacity_log2,
             FreedBuffer{LiveKey{0, 0, static_cast<BufferClass>(0xff), 0, 0}, 0, 0, 0, 0, 0, 0, 0, 0}) {}

}  // namespace memledger
