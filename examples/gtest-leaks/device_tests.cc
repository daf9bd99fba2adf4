// device_tests.cc — a GoogleTest suite over a tiny device runtime, under
// memledger's leak gate: each test runs inside a checkpoint, and the one
// that forgets a free fails with the line that allocated it. The suite's
// weights (SetUpTestSuite) are not any test's; a free on another thread
// counts; a leak allowed with a reason passes.
#include <gtest/gtest.h>
#include <memledger/gtest.hpp>

#include <cstdint>
#include <map>
#include <thread>

namespace {

// Device 0's DRAM, bump-allocated; every buffer reported to memledger.
class Device {
 public:
  std::uint64_t Allocate(std::uint64_t size) {
    const std::uint64_t id = next_id_++;
    live_[id] = next_address_;
    memledger::Alloc(0, memledger::MemType::kDram, id, next_address_, size);
    next_address_ += size;
    return id;
  }
  void Free(std::uint64_t id) {
    memledger::Free(0, memledger::MemType::kDram, id, live_.at(id));
    live_.erase(id);
  }

 private:
  std::uint64_t next_id_ = 1;
  std::uint64_t next_address_ = 0x10000;
  std::map<std::uint64_t, std::uint64_t> live_;
};

Device& TheDevice() {
  static Device device;
  return device;
}

class Model : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { weights_ = TheDevice().Allocate(1 << 20); }  // the suite's, not a test's
  static void TearDownTestSuite() { TheDevice().Free(weights_); }
  static std::uint64_t weights_;
};
std::uint64_t Model::weights_ = 0;

TEST_F(Model, ForwardFreesItsActivations) {
  const std::uint64_t activations = TheDevice().Allocate(64 << 10);
  TheDevice().Free(activations);
}

TEST(Buffers, ForgottenFree) {
  const std::uint64_t scratch = TheDevice().Allocate(8192);  // LEAKS HERE
  EXPECT_NE(scratch, 0u);
}

TEST(Buffers, FreedOnAnotherThread) {
  const std::uint64_t staged = TheDevice().Allocate(4096);
  std::thread([staged] { TheDevice().Free(staged); }).join();
}

TEST(Buffers, AllowedLeak) {
  memledger::AllowDeviceLeaks(1, "the kernel cache keeps its buffer for the process's life");
  TheDevice().Allocate(256);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // The runtime's frames (inlined ones carry their bare name): sites name its callers.
  memledger::SkipFrames("Device::|^Allocate$");
  memledger::OpenDevice(0, "example0", {{memledger::MemType::kDram, 1ull << 30}});
  memledger::InstallLeakGate();
  const int status = RUN_ALL_TESTS();
  memledger::CloseDevice(0);
  return status;
}
