// program.cc — a program launch: kernels, circular buffers, host work.
#include "sim/program.h"

#include <optional>
#include <utility>

#include "sim/host_work.h"
#include "sim/program_cache.h"

namespace memledger::sim {
namespace {

void ReleaseInReverse(Device& device, const std::vector<Allocation>& allocations) {
  for (auto it = allocations.rbegin(); it != allocations.rend(); ++it) device.Release(*it);
}

}  // namespace

Program::Program(std::string name, std::vector<KernelSpec> kernels, std::vector<CircularBufferSpec> circular_buffers,
                 std::uint32_t host_work_units)
    : name_(std::move(name)),
      kernels_(std::move(kernels)),
      circular_buffers_(std::move(circular_buffers)),
      host_work_units_(host_work_units) {}

bool Program::Launch(Device& device) const {
  if (!device.program_cache().EnsureLoaded(*this)) return false;
  std::vector<Allocation> circular_buffers;
  if (!circular_buffers_.empty()) {
    std::optional<std::vector<Allocation>> laid_out = device.AllocateCircularBuffers(circular_buffers_);
    if (!laid_out) return false;
    circular_buffers = std::move(*laid_out);
  }
  DoHostWork(host_work_units_);
  ReleaseInReverse(device, circular_buffers);
  return true;
}

}  // namespace memledger::sim
