// ring_fault_guard_test.cc — the SIGBUS guard of mappings of other
// processes' rings (src/ring/ring_fault_guard.h): a mapping whose memfd
// shrinks under it faults into zero pages and is flagged damaged instead of
// killing the process; a fault anywhere else still kills as it would have.
#include "ring/ring_fault_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>

namespace memledger {
namespace {

constexpr std::size_t kBytes = 4 * 4096;

// A shared mapping of an unsealed memfd, which a hostile peer could shrink.
struct ShrinkableMapping {
  ShrinkableMapping() {
    fd = memfd_create("shrinkable", MFD_CLOEXEC);
    EXPECT_EQ(ftruncate(fd, kBytes), 0);
    base = mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    EXPECT_NE(base, MAP_FAILED);
    static_cast<std::uint64_t*>(base)[kBytes / 8 - 1] = 42;
  }
  ~ShrinkableMapping() {
    munmap(base, kBytes);
    close(fd);
  }
  std::uint64_t LastWord() const {
    return static_cast<const std::atomic<std::uint64_t>*>(base)[kBytes / 8 - 1].load();
  }
  int fd = -1;
  void* base = nullptr;
};

TEST(RingFaultGuard, AShrunkMappingReadsZerosAndIsFlaggedDamaged) {
  InstallRingFaultGuard();
  ShrinkableMapping mapping;
  const int entry = RegisterGuardedMapping(mapping.base, kBytes);
  ASSERT_GE(entry, 0);
  EXPECT_FALSE(GuardedMappingDamaged(entry));
  EXPECT_EQ(mapping.LastWord(), 42u);
  ASSERT_EQ(ftruncate(mapping.fd, 0), 0);  // the peer shrinks it
  EXPECT_EQ(mapping.LastWord(), 0u) << "the faulting read is retried on zero pages";
  EXPECT_TRUE(GuardedMappingDamaged(entry));
  UnregisterGuardedMapping(entry);
}

TEST(RingFaultGuard, EntriesAreReused) {
  InstallRingFaultGuard();
  ShrinkableMapping mapping;
  const int first = RegisterGuardedMapping(mapping.base, kBytes);
  UnregisterGuardedMapping(first);
  const int second = RegisterGuardedMapping(mapping.base, kBytes);
  EXPECT_EQ(second, first);
  EXPECT_FALSE(GuardedMappingDamaged(second)) << "a reused entry starts undamaged";
  UnregisterGuardedMapping(second);
}

TEST(RingFaultGuardDeathTest, AFaultOutsideEveryGuardedMappingStillKills) {
  EXPECT_EXIT(
      {
        InstallRingFaultGuard();
        ShrinkableMapping mapping;  // not registered
        if (ftruncate(mapping.fd, 0) != 0) _exit(3);
        static_cast<void>(mapping.LastWord());
        _exit(0);
      },
      // Killed by the SIGBUS, or (under a sanitizer, whose handler reports
      // the fault first) exited with its error status: never survived.
      [](int status) {
        return WIFSIGNALED(status) ? WTERMSIG(status) == SIGBUS : WIFEXITED(status) && WEXITSTATUS(status) != 0;
      },
      "");
}

}  // namespace
}  // namespace memledger
