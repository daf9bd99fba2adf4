// host_work.cc — the scratch-array computation behind DoHostWork.
#include "sim/host_work.h"

#include <array>

namespace memledger::sim {
namespace {
double g_scale = 1.0;
}  // namespace

void SetHostWorkScale(double scale) { g_scale = scale; }

void DoHostWork(std::uint32_t units) {
  units = static_cast<std::uint32_t>(units * g_scale + 0.5);
  thread_local std::array<float, 512> scratch{};
  float carry = 1.0f;
  for (std::uint32_t unit = 0; unit < units; ++unit) {
    // A loop-carried dependency: not vectorizable, so the cost per unit is a
    // fixed chain of multiply-add latencies.
    for (float& value : scratch) {
      carry = carry * 0.999f + value;
      value = carry * 0.5f;
    }
  }
  // Keeps the result observable so the compiler cannot drop the work.
  asm volatile("" : : "r"(carry) : "memory");
}

}  // namespace memledger::sim
