// workload_test.cc — each workload's truth JSON is internally consistent and
// counts exactly the deliberate leaks; fragment, cb-clash and llm --oom book
// the failures they are built for, with self-consistent figures, the same
// under one seed; --l1-partition keeps processes apart; LeakPlan spreads
// leaks as documented.
#include "sim/workload/workload.h"

#include <cstdio>
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sim/bank_region.h"
#include "sim/device_spec.h"
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

// allocs - frees = leaked.buffers = Σ live_buffers; leaked.bytes = Σ live_bytes;
// each region's space (all but CB's) holds its live bytes and buffers, and
// its free bytes the rest of the part it manages.
void ExpectConsistent(const nlohmann::json& truth, std::uint32_t devices) {
  EXPECT_EQ(truth.at("schema"), "memledger.truth/2");
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
      if (type == "CB") {
        EXPECT_FALSE(usage.contains("space")) << "CB lies within L1";
        continue;
      }
      const auto& space = usage.at("space");
      EXPECT_EQ(space.at("live_bytes"), usage.at("live_bytes")) << type;
      EXPECT_EQ(space.at("holders_total"), usage.at("live_buffers")) << type;
      EXPECT_EQ(space.at("free_bytes").get<std::uint64_t>() + space.at("live_bytes").get<std::uint64_t>(),
                space.at("managed")[1].get<std::uint64_t>())
          << type;
    }
  }
  EXPECT_EQ(live_buffers, leaked_buffers);
  EXPECT_EQ(live_bytes, leaked_bytes);
  EXPECT_LE(truth.at("failures").size(), truth.at("failures_total").get<std::uint64_t>());
}

// Each failure's figures agree with each other: free + live = the managed
// part, the listed holes and holders add up (when not cut at list_cap), the
// largest hole is the largest free block, and the verdict follows from them.
void ExpectFailuresConsistent(const nlohmann::json& truth) {
  const std::uint64_t cap = truth.at("list_cap");
  for (const auto& failure : truth.at("failures")) {
    SCOPED_TRACE(failure.dump().substr(0, 300));
    const std::uint64_t free_bytes = failure.at("free_bytes");
    const std::uint64_t largest = failure.at("largest_free_block");
    const std::uint64_t live_bytes = failure.at("live_bytes");
    EXPECT_EQ(free_bytes + live_bytes, failure.at("managed")[1].get<std::uint64_t>());
    const auto& holes = failure.at("free_blocks");
    const auto& holders = failure.at("holders");
    EXPECT_EQ(holes.size(), std::min(failure.at("holes").get<std::uint64_t>(), cap));
    EXPECT_EQ(holders.size(), std::min(failure.at("holders_total").get<std::uint64_t>(), cap));
    if (holes.size() == failure.at("holes").get<std::uint64_t>()) {
      std::uint64_t sum = 0;
      std::uint64_t max = 0;
      for (const auto& hole : holes) {
        sum += hole[1].get<std::uint64_t>();
        max = std::max(max, hole[1].get<std::uint64_t>());
      }
      EXPECT_EQ(sum, free_bytes);
      EXPECT_EQ(max, largest);
    }
    if (holders.size() == failure.at("holders_total").get<std::uint64_t>()) {
      std::uint64_t sum = 0;
      for (const auto& holder : holders) sum += holder.at("size").get<std::uint64_t>();
      EXPECT_EQ(sum, live_bytes);
    }
    const std::string verdict = failure.at("verdict");
    const std::uint64_t extent = failure.at("extent");
    if (verdict == "cb_clash") {
      EXPECT_EQ(failure.at("type"), "CB");
      const std::uint64_t end = failure.at("cb_region_end");
      ASSERT_GT(failure.at("below_total").get<std::uint64_t>(), 0u);
      for (const auto& block : failure.at("below")) EXPECT_LT(block.at("address").get<std::uint64_t>(), end);
      EXPECT_EQ(failure.at("below")[0], holders[0]) << "the lowest live L1 block is below the end";
    } else if (verdict == "exhausted") {
      EXPECT_LT(free_bytes, extent);
    } else {
      EXPECT_EQ(verdict, "fragmented");
      EXPECT_GE(free_bytes, extent);
      EXPECT_LT(largest, extent);
    }
  }
}

// The workload function names the holders of `failure` were allocated by.
std::set<std::string> HolderSites(const nlohmann::json& failure) {
  std::set<std::string> sites;
  for (const auto& holder : failure.at("holders")) sites.insert(holder.at("site").get<std::string>());
  return sites;
}

// A failure without its device's interleaving with the other device's.
std::map<std::uint64_t, std::vector<nlohmann::json>> FailuresByDevice(const nlohmann::json& truth) {
  std::map<std::uint64_t, std::vector<nlohmann::json>> by_device;
  for (const auto& failure : truth.at("failures")) by_device[failure.at("device")].push_back(failure);
  return by_device;
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
  // Two of each: leak_weights (4 MiB DRAM), leak_kv_cache (1 MiB DRAM), leak_activation (64 KiB L1), each
  // as hooked: its footprint in every bank (2 KiB pages) x the banks.
  const DeviceSpec spec = WormholeB0();
  const BankRegion& dram = spec.regions[0];
  const BankRegion& l1 = spec.regions[2];
  ASSERT_EQ(dram.type, MemType::kDram);
  ASSERT_EQ(l1.type, MemType::kL1);
  const auto hooked = [](const BankRegion& region, std::uint64_t size) {
    return BankFootprint(region, size, 2048) * region.banks;
  };
  EXPECT_EQ(truth.at("leaked").at("bytes"),
            2 * (hooked(dram, 4 * kMiB) + hooked(dram, kMiB) + hooked(l1, 64 * 1024)));
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
  EXPECT_EQ(truth.at("devices")[0].at("types").size(), 2u) << "only L1 in the tiny arena, and CB in it";
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

TEST(WorkloadConcurrentTest, FragmentFailsFragmentedWithAmpleFreeL1) {
  const WorkloadOptions options = Options("fragment");
  const nlohmann::json truth = RunForTruth("fragment", options);
  ExpectConsistent(truth, 2);
  ExpectFailuresConsistent(truth);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 0);
  ASSERT_EQ(truth.at("failures").size(), options.threads) << "each thread stops at its first failure";
  for (const auto& failure : truth.at("failures")) {
    EXPECT_EQ(failure.at("type"), "L1");
    EXPECT_EQ(failure.at("verdict"), "fragmented");
    EXPECT_GE(failure.at("free_bytes").get<std::uint64_t>(), 3 * failure.at("extent").get<std::uint64_t>() / 2)
        << "ample free in total";
    EXPECT_EQ(HolderSites(failure), (std::set<std::string>{"allocate_scratch", "keep_small_state"}));
  }
}

TEST(WorkloadConcurrentTest, FragmentIsTheSameUnderOneSeed) {
  WorkloadOptions options = Options("fragment");
  options.seed = 7;
  const nlohmann::json first = RunForTruth("fragment", options);
  const nlohmann::json second = RunForTruth("fragment", options);
  EXPECT_EQ(FailuresByDevice(first), FailuresByDevice(second));
  options.seed = 8;
  EXPECT_NE(FailuresByDevice(first), FailuresByDevice(RunForTruth("fragment", options)));
}

TEST(WorkloadConcurrentTest, CbClashNamesTheOutlivingActivations) {
  const WorkloadOptions options = Options("cb-clash");
  const nlohmann::json truth = RunForTruth("cb-clash", options);
  ExpectConsistent(truth, 2);
  ExpectFailuresConsistent(truth);
  ASSERT_EQ(truth.at("failures").size(), options.threads);
  const std::vector<nlohmann::json> again = FailuresByDevice(RunForTruth("cb-clash", options))[0];
  EXPECT_EQ(FailuresByDevice(truth)[0], again) << "the same under one seed";
  for (const auto& failure : truth.at("failures")) {
    EXPECT_EQ(failure.at("verdict"), "cb_clash");
    EXPECT_EQ(failure.at("size"), 256 * 1024 * 64) << "4 circular buffers of 64 KiB per core x 64 cores";
    for (const auto& block : failure.at("below")) EXPECT_EQ(block.at("site"), "keep_activations_alive");
  }
}

TEST(WorkloadConcurrentTest, LlmOomExhaustsDramWithTheKvCache) {
  WorkloadOptions options = Options("llm");
  options.threads = 8;
  options.oom = true;
  const nlohmann::json truth = RunForTruth("llm", options);
  ExpectConsistent(truth, 2);
  ExpectFailuresConsistent(truth);
  EXPECT_EQ(truth.at("leaked").at("buffers"), 0);
  EXPECT_EQ(FailuresByDevice(truth).size(), 2u) << "both devices run out";
  EXPECT_LE(truth.at("failures").size(), 8u) << "each thread stops at its device's first failure";
  for (const auto& failure : truth.at("failures")) {
    EXPECT_EQ(failure.at("type"), "DRAM");
    EXPECT_EQ(failure.at("verdict"), "exhausted");
    EXPECT_TRUE(HolderSites(failure).contains("grow_kv_cache"));
  }
}

TEST(WorkloadConcurrentTest, L1PartitionsOfTwoProcessesTileTheRegion) {
  // Two "processes" on one device: each manages half of every banked region.
  WorkloadOptions options = Options("fragment");
  options.devices = 1;
  options.threads = 2;
  std::vector<nlohmann::json> failures;
  for (std::uint32_t part = 0; part < 2; ++part) {
    options.partition = {part, 2};
    const nlohmann::json truth = RunForTruth("fragment", options);
    ExpectFailuresConsistent(truth);
    ASSERT_FALSE(truth.at("failures").empty());
    failures.push_back(truth.at("failures")[0]);
  }
  const auto start = [](const nlohmann::json& f) { return f.at("managed")[0].get<std::uint64_t>(); };
  const auto size = [](const nlohmann::json& f) { return f.at("managed")[1].get<std::uint64_t>(); };
  EXPECT_EQ(start(failures[0]) + size(failures[0]), start(failures[1])) << "the halves are adjacent";
  EXPECT_EQ(size(failures[0]), size(failures[1]));
  for (std::size_t part = 0; part < 2; ++part) {
    for (const auto& holder : failures[part].at("holders")) {
      EXPECT_GE(holder.at("address").get<std::uint64_t>(), start(failures[part]));
      EXPECT_LE(holder.at("address").get<std::uint64_t>() + holder.at("size").get<std::uint64_t>(),
                start(failures[part]) + size(failures[part]));
    }
  }
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
