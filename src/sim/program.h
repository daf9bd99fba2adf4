// program.h — Program: a device program (kernels plus circular buffers) and
// its launch. A launch makes sure the kernel binaries are loaded (through the
// device's ProgramCache), lays out the circular buffers in L1 from its base
// upwards (Device::AllocateCircularBuffers: they must stay below the lowest
// live L1 buffer), does the launch's host work, and frees the circular
// buffers again.
//
// Thread-safety: immutable after construction; Launch may run on any number
// of threads and devices at once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cb_layout.h"
#include "sim/device.h"

namespace memledger::sim {

struct KernelSpec {
  std::string name;
  std::uint64_t binary_size;
};

class Program {
 public:
  // `name` is the program cache key: programs with the same name share binaries.
  Program(std::string name, std::vector<KernelSpec> kernels, std::vector<CircularBufferSpec> circular_buffers,
          std::uint32_t host_work_units);

  // Runs the program once on `device`. False when the KERNEL region cannot
  // hold its binaries or its circular buffers clash with L1 buffers (both
  // booked as failures); nothing of this launch stays allocated then.
  bool Launch(Device& device) const;

  const std::string& name() const { return name_; }
  const std::vector<KernelSpec>& kernels() const { return kernels_; }

 private:
  std::string name_;
  std::vector<KernelSpec> kernels_;
  std::vector<CircularBufferSpec> circular_buffers_;
  std::uint32_t host_work_units_;
};

}  // namespace memledger::sim
