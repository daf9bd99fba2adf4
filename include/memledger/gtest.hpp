// memledger/gtest.hpp — a leak gate for GoogleTest: a test event listener
// that runs every test inside a checkpoint (memledger.h, "Checkpoints") and
// fails a test that leaves device buffers live, with the count, the bytes
// and each site headed by the test's own line.
//
//   #include <gtest/gtest.h>
//   #include <memledger/gtest.hpp>
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     memledger::InstallLeakGate();
//     return RUN_ALL_TESTS();
//   }
//   // run with MEMLEDGER=1 MEMLEDGER_STACKS=1 (stacks name the sites)
//
// The window is the test's own: from OnTestStart to OnTestEnd, so its
// fixture's constructor, SetUp, body, TearDown and destructor; what
// SetUpTestSuite and global Environments set up is not the test's. A test
// that leaks on purpose says so inside its body:
// memledger::AllowDeviceLeaks(1, "the cache keeps it until exit").
// With tracking off the gate checks nothing and says so once.
//
// Header-only, over the C ABI (and memledger.hpp); GoogleTest is the
// including program's. Thread-safety: GoogleTest calls listeners on its
// main thread; AllowDeviceLeaks is for the test's own thread.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "memledger/memledger.hpp"

namespace memledger {

namespace gtest_detail {
// What the running test allows (AllowDeviceLeaks); reset at each test's start.
struct Allowance {
  std::optional<std::uint64_t> buffers;
  std::string reason;
};
inline Allowance& CurrentAllowance() {
  static Allowance allowance;
  return allowance;
}
}  // namespace gtest_detail

// The running test may leave up to `buffers` device buffers live; `reason`
// is required (an empty one fails the test).
inline void AllowDeviceLeaks(std::uint64_t buffers, const char* reason) {
  if (reason == nullptr || *reason == '\0') {
    ADD_FAILURE() << "memledger::AllowDeviceLeaks(" << buffers << ", ...): a reason is required";
    return;
  }
  gtest_detail::CurrentAllowance() = {buffers, reason};
}

class LeakGate : public ::testing::EmptyTestEventListener {
 public:
  // `max_sites`: sites in a failure's message.
  explicit LeakGate(std::uint32_t max_sites = 3) : max_sites_(max_sites) {}

  void OnTestProgramStart(const ::testing::UnitTest&) override {
    if (memledger_enabled() == 0) {
      std::fprintf(stderr, "memledger: tracking is off (MEMLEDGER=1 turns it on): device-memory checks are off\n");
    }
  }
  void OnTestStart(const ::testing::TestInfo&) override {
    gtest_detail::CurrentAllowance() = {};
    if (memledger_enabled() != 0) checkpoint_.emplace();
  }
  void OnTestEnd(const ::testing::TestInfo& test) override {
    if (!checkpoint_) return;
    const CheckpointResult result = checkpoint_->Query({}, max_sites_);
    checkpoint_.reset();
    // Said at the test's own place, not this header's.
    const char* file = test.file() != nullptr ? test.file() : "";
    if (!result.ok()) {
      ADD_FAILURE_AT(file, test.line()) << "memledger could not check this test (status " << result.status
                                        << "): " << result.text;
      return;
    }
    if (result.buffers == 0) return;
    const gtest_detail::Allowance& allowed = gtest_detail::CurrentAllowance();
    if (allowed.buffers && result.buffers <= *allowed.buffers) return;
    ADD_FAILURE_AT(file, test.line())
        << "memledger: this test left device memory live"
        << (allowed.buffers ? " (it allows " + std::to_string(*allowed.buffers) + " buffers)" : std::string())
        << "\n"
        << result.text;
  }

 private:
  std::uint32_t max_sites_;
  std::optional<Checkpoint> checkpoint_;
};

// Appends a LeakGate to GoogleTest's listeners (which own it).
inline void InstallLeakGate(std::uint32_t max_sites = 3) {
  ::testing::UnitTest::GetInstance()->listeners().Append(new LeakGate(max_sites));
}

}  // namespace memledger
