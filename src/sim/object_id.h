// object_id.h — process-wide unique ids for runtime objects (buffers, circular
// buffers, kernel binaries): the identity passed to memledger's hooks.
//
// Thread-safety: thread-safe (one relaxed atomic counter).
#pragma once

#include <cstdint>

namespace memledger::sim {

// A new id, never 0 and never repeated within the process.
std::uint64_t NextObjectId();

}  // namespace memledger::sim
