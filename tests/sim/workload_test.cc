// workload_test.cc — each workload's truth JSON is internally consistent and
// counts exactly the deliberate leaks; LeakPlan spreads leaks as documented.
#include "sim/workload/workload.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/workload/leak_plan.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kMiB = 1 << 20;

const Workload& Find(const char* workload) {
  for (const Workload& w : Workloads()) {
    if (std::string(w.name) == workload) return w;
  }
  throw std::invalid_argument(workload);
}

WorkloadOptions Options(const char* workload) { return Find(workload).defaults; }

// Runs `workload` writing its truth to a temporary file and returns the parsed JSON.
nlohmann::json RunForTruth(const char* workload, WorkloadOptions options) {
  // One file per test: ctest runs the tests of this file in parallel processes.
  const std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  options.truth_json = ::testing::TempDir() + "sim_truth_" + workload + "_" + test + ".json";
  Find(workload).run(options);
  std::ifstream in(options.truth_json);
  nlohmann::json truth = nlohmann::json::parse(in);
  std::remove(options.truth_json.c_str());
  return truth;
}

// allocs - frees = leaked.buffers = Σ live_buffers; leaked.bytes = Σ live_bytes.
void ExpectConsistent(const nlohmann::json& truth, std::uint32_t devices) {
  EXPECT_EQ(truth.at("schema"), "memledger.truth/1");
  const std::uint64_t leaked_buffers = truth.at("leaked").at("buffers");
  const std::uint64_t leaked_bytes = truth.at("leaked").at("bytes");
  EXPECT_EQ(truth.at("allocs").get<std::uint64_t>() - truth.at("frees").get<std::uint64_t>(), leaked_buffers);
  std::uint64_t live_buffers = 0;
  std::uint64_t live_bytes = 0;
  ASSERT_EQ(truth.at("devices").size(), devices);
  for (const auto& device : truth.at("devices")) {
    for (const auto& [type, usage] : device.at("types").items()) {
      live_buffers += usage.at("live_buffers").get<std::uint64_t>();
      live_bytes += usage.at("live_bytes").get<std::uint64_t>();
    }
  }
  EXPECT_EQ(live_buffers, leaked_buffers);
  EXPECT_EQ(live_bytes, leaked_bytes);
}

TEST(WorkloadTest, LlmLeaksNothingAndCoversEveryRegion) {
  WorkloadOptions options = Options("llm");
  options.iterations = 3;
  const nlohmann::json truth = RunForTruth("llm", options);
  ExpectConsistent(truth, 2);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 0);
  EXPECT_GT(truth.at("allocs").get<std::uint64_t>(), 2000u);
  for (const char* type : {"DRAM", "L1", "L1_SMALL", "TRACE", "SYSTEM_MEMORY", "CB", "KERNEL"}) {
    EXPECT_TRUE(truth.at("devices")[0].at("types").contains(type)) << type;
  }
}

TEST(WorkloadTest, LlmMakesTheLeaksItIsAskedFor) {
  WorkloadOptions options = Options("llm");
  options.iterations = 2;
  options.leaks = 4;
  const nlohmann::json truth = RunForTruth("llm", options);
  ExpectConsistent(truth, 2);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 4);
}

TEST(WorkloadTest, LeakyLeaksExactlyWhatItIsAskedFromTheThreeSites) {
  WorkloadOptions options = Options("leaky");
  options.leaks = 6;
  options.iterations = 50;
  const nlohmann::json truth = RunForTruth("leaky", options);
  ExpectConsistent(truth, 1);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 6);
  // Two of each: leak_weights (4 MiB DRAM), leak_kv_cache (1 MiB DRAM), leak_activation (64 KiB L1).
  EXPECT_EQ(truth.at("leaked").at("bytes"), 2 * (4 * kMiB + kMiB + 64 * 1024));
  EXPECT_EQ(truth.at("devices")[0].at("types").at("DRAM").at("live_buffers"), 4);
  EXPECT_EQ(truth.at("devices")[0].at("types").at("L1").at("live_buffers"), 2);
}

TEST(WorkloadTest, LeakyMakesItsLeaksEvenWithFewerIterations) {
  WorkloadOptions options = Options("leaky");
  options.leaks = 5;
  options.iterations = 2;
  EXPECT_EQ(RunForTruth("leaky", options).at("leaked").at("buffers"), 5);
}

TEST(WorkloadConcurrentTest, ReuseStormCountsEveryPairAndTheLeaks) {
  WorkloadOptions options = Options("reuse-storm");
  options.threads = 4;
  options.iterations = 3000;
  options.leaks = 7;
  const nlohmann::json truth = RunForTruth("reuse-storm", options);
  ExpectConsistent(truth, 1);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 7);
  EXPECT_EQ(truth.at("allocs"), 4 * 3000 + 7);
  EXPECT_EQ(truth.at("devices")[0].at("types").size(), 1u) << "only L1 in the tiny arena";
}

TEST(WorkloadConcurrentTest, LateFreeHooksAndAddressIdentityKeepTheTruthExact) {
  WorkloadOptions options = Options("reuse-storm");
  options.threads = 3;
  options.iterations = 500;
  options.leaks = 2;
  options.hooks = {HookOrder::kLateFree, BufferIdentity::kAddress};
  const nlohmann::json truth = RunForTruth("reuse-storm", options);
  ExpectConsistent(truth, 1);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 2);
}

TEST(WorkloadConcurrentTest, LlmWithMoreThreadsThanDevices) {
  WorkloadOptions options = Options("llm");
  options.devices = 2;
  options.threads = 3;
  options.iterations = 2;
  options.hooks.order = HookOrder::kLateFree;
  const nlohmann::json truth = RunForTruth("llm", options);
  ExpectConsistent(truth, 2);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 0);
}

TEST(LeakPlanTest, SpreadsLeaksOverThreadsAndIterations) {
  // 5 leaks over 2 threads: thread 0 makes leaks 0, 2, 4; thread 1 makes 1, 3.
  std::vector<std::vector<std::uint64_t>> made(2);
  for (std::uint32_t thread = 0; thread < 2; ++thread) {
    LeakPlan plan(5, 2, thread, 9);
    for (std::uint64_t iteration = 0; iteration <= 9; ++iteration) {
      plan.MakeDue(iteration, [&](std::uint64_t leak) { made[thread].push_back(leak * 100 + iteration); });
    }
  }
  EXPECT_EQ(made[0], (std::vector<std::uint64_t>{0, 203, 406})) << "leak * 100 + iteration";
  EXPECT_EQ(made[1], (std::vector<std::uint64_t>{100, 304}));
}

}  // namespace
}  // namespace memledger::sim
