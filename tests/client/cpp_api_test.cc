// cpp_api_test.cc — the C++ layer (memledger.hpp) from a tracked program
// (linked to libmemledger.so, run with MEMLEDGER=1 and a capture file): the
// wrappers of pools, circular buffers, kernels, allocator frames and flush,
// each used; the
// books they make are checked by replaying the capture
// (cpp_api_capture_test.cc, ctest fixture cpp_api_capture).
// Exits 0 when every check here holds; else prints the failed check and exits 1.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "cpp_api_expected.h"
#include "memledger/memledger.hpp"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

int main() {
  using memledger::MemType;
  CHECK(memledger_enabled() == 1);
  const std::optional<MemType> pool = memledger::RegisterPool(memledger::kCppPool);
  CHECK(pool.has_value() && static_cast<int>(*pool) == MEMLEDGER_FIRST_POOL);
  CHECK(memledger::RegisterPool(memledger::kCppPool) == pool);  // the same type for the same name
  memledger::SkipFrames(memledger::kCppSkipFrames);
  memledger::OpenDevice(0, "cpp0", {{*pool, memledger::kCppPoolCapacity}});
  memledger::Alloc(0, *pool, 1, 0x1000, memledger::kCppPoolBytes);

  memledger::CbAlloc(0, 1, 0x200, memledger::kCppCbBytes);
  memledger::CbAlloc(0, 2, 0x400, memledger::kCppCbBytes);
  memledger::CbFree(0, 1, 0x200);
  memledger::KernelLoad(0, 1, 0x800, memledger::kCppKernelBytes);
  memledger::KernelLoad(0, 2, 0xc00, memledger::kCppKernelBytes);
  memledger::KernelUnload(0, 1, 0x800);

  // The process's pool ids run out: then no type, not a wrong one.
  for (int id = MEMLEDGER_FIRST_POOL + 1; id < MEMLEDGER_MAX_TYPES; ++id) {
    const std::optional<MemType> next = memledger::RegisterPool(("pool_" + std::to_string(id)).c_str());
    CHECK(next.has_value() && static_cast<int>(*next) == id);
  }
  CHECK(!memledger::RegisterPool("one_too_many").has_value());

  memledger::Flush();
  memledger::Flush();  // nothing new: returns at once
  return 0;
}
