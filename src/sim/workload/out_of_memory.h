// out_of_memory.h — how the workloads handle a full device: the allocation or
// launch throws OutOfMemory, and the workload gives up on the unit of work it
// was doing (a decode step, a traffic round), counts it, and goes on. RAII
// frees whatever that unit had allocated.
//
// Thread-safety: stateless functions; as Buffer and Program for their arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>

#include "sim/buffer.h"
#include "sim/program.h"

namespace memledger::sim {

class OutOfMemory : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// `buffer`, or OutOfMemory when it is empty: Buffer::Allocate of `size`
// bytes of `type` failed. For a site function that calls Buffer::Allocate
// itself, so its own frame is the allocation's innermost workload frame.
Buffer BufferOrThrow(std::optional<Buffer> buffer, const Device& device, MemType type, std::uint64_t size);
// Buffer::Allocate, throwing OutOfMemory when the region is full.
Buffer AllocateOrThrow(Device& device, MemType type, std::uint64_t size, std::uint64_t page_size);
// Program::Launch, throwing OutOfMemory when the CB or KERNEL region is full.
void LaunchOrThrow(const Program& program, Device& device);

}  // namespace memledger::sim
