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
  circular_buffers.reserve(circular_buffers_.size());
  for (const CircularBufferSpec& spec : circular_buffers_) {
    const std::optional<Allocation> cb =
        device.Allocate(MemType::kCb, AllocationKind::kCircularBuffer, spec.size, spec.page_size);
    if (!cb) {
      ReleaseInReverse(device, circular_buffers);
      return false;
    }
    circular_buffers.push_back(*cb);
  }
  DoHostWork(host_work_units_);
  ReleaseInReverse(device, circular_buffers);
  return true;
}

}  // namespace memledger::sim
