// buffer_memory_type.h — the memory type a buffer record is of, in its
// process's own numbering: what its type field says, but a CB's and a kernel
// binary's, which their class fixes (event_kind.h: kClassMemoryType).
#pragma once

#include <cstddef>
#include <cstdint>

#include "event/event_kind.h"

namespace memledger {

constexpr std::uint8_t BufferMemoryType(BufferClass cls, std::uint8_t record_type) {
  const int type = kClassMemoryType[static_cast<std::size_t>(cls)];
  return type == kTypeOfTheRecord ? record_type : static_cast<std::uint8_t>(type);
}

}  // namespace memledger
