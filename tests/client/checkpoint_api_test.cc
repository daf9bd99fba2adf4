// checkpoint_api_test.cc — memledger.h's checkpoints through libmemledger.so,
// tracked in this process (embedded mode, stacks on): exactly the buffers
// allocated after a checkpoint and still live, from any thread; nesting;
// excludes; peaks; the site named by this file's line; older struct sizes,
// bad arguments and the limit of open checkpoints; memledger::Checkpoint.
// Run with MEMLEDGER=1 MEMLEDGER_STACKS=1 MEMLEDGER_SOCKET=none
// MEMLEDGER_REPORT=0 (tests/client/CMakeLists.txt).
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "memledger/memledger.hpp"

namespace {

using nlohmann::json;

// Ids and addresses no other test uses: each test its own device.
std::atomic<std::uint64_t> g_next_id{1};

struct Buffer {
  std::uint32_t device;
  std::uint64_t id;
  std::uint64_t address;
  std::uint64_t size;
};

// Allocate is this test's allocator: sites are named by its callers.
const bool g_allocator_declared = (memledger_skip_frames("(^|::)Allocate($|\\()"), true);

Buffer Allocate(std::uint32_t device, std::uint64_t size) {
  const std::uint64_t id = g_next_id.fetch_add(1);
  const Buffer buffer{device, id, id * 0x10000, size};
  memledger_alloc(device, MEMLEDGER_DRAM, buffer.id, buffer.address, size);
  return buffer;
}

void Free(const Buffer& buffer) { memledger_free(buffer.device, MEMLEDGER_DRAM, buffer.id, buffer.address); }

int g_leak_line = 0;
__attribute__((noinline)) Buffer AllocateAndForget(std::uint32_t device) {
  g_leak_line = __LINE__ + 1;
  return Allocate(device, 4096);
}

memledger_checkpoint_query Query(memledger_checkpoint checkpoint) {
  memledger_checkpoint_query query{};
  query.struct_size = sizeof(query);
  query.checkpoint = checkpoint;
  return query;
}

// The query's status, counts and JSON (null when none came).
struct Answer {
  int status;
  memledger_checkpoint_result result;
  json document;
  std::string text;
};

Answer Ask(const memledger_checkpoint_query& query) {
  Answer answer{};
  answer.result.struct_size = sizeof(answer.result);
  answer.status = memledger_query_checkpoint(&query, &answer.result);
  if (answer.result.json != nullptr) answer.document = json::parse(answer.result.json);
  if (answer.result.text != nullptr) answer.text = answer.result.text;
  memledger_free_text(answer.result.json);
  memledger_free_text(answer.result.text);
  return answer;
}

// The addresses of the listed buffers on `device`.
std::set<std::uint64_t> AddressesOn(const json& document, std::uint32_t device) {
  std::set<std::uint64_t> addresses;
  for (const json& buffer : document.at("buffer_list")) {
    if (buffer.at("device") == device) addresses.insert(buffer.at("address").get<std::uint64_t>());
  }
  return addresses;
}

TEST(CheckpointApi, TrackingIsOn) { ASSERT_EQ(memledger_enabled(), 1) << "run with MEMLEDGER=1"; }

TEST(CheckpointApi, ExactlyWhatWasAllocatedSinceAndIsStillLive) {
  const Buffer before = Allocate(1, 100);
  const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
  ASSERT_NE(checkpoint, 0u);
  const Buffer freed = Allocate(1, 200);
  const Buffer leaked = AllocateAndForget(1);
  Free(freed);
  Free(before);  // allocated before: its free changes nothing here

  const Answer answer = Ask(Query(checkpoint));
  ASSERT_EQ(answer.status, 0);
  EXPECT_EQ(answer.result.buffers, 1u);
  EXPECT_EQ(answer.result.bytes, 4096u);
  EXPECT_EQ(answer.result.peak_above_begin, 4096u + 200u);
  const json& d = answer.document;
  EXPECT_EQ(d.at("schema"), "memledger.checkpoint/1");
  EXPECT_EQ(d.at("checkpoint").get<std::uint64_t>(), checkpoint);
  EXPECT_EQ(AddressesOn(d, 1), std::set<std::uint64_t>{leaked.address});
  EXPECT_GT(d.at("buffer_list")[0].at("seq").get<std::uint64_t>(), checkpoint);
  ASSERT_EQ(d.at("sites").size(), 1u);
  const json& site = d.at("sites")[0];
  const std::string where = "checkpoint_api_test.cc:" + std::to_string(g_leak_line);
  EXPECT_TRUE(site.at("site").get<std::string>().ends_with(where)) << site.dump(2);
  EXPECT_NE(answer.text.find(where), std::string::npos) << answer.text;
  EXPECT_NE(answer.text.find("1 buffer, 4.0 KiB, allocated since the checkpoint"), std::string::npos) << answer.text;
  // The peak of device 1's DRAM: live at the begin, the highest since, now.
  bool found = false;
  for (const json& peak : d.at("peaks")) {
    if (peak.at("device") != 1 || peak.at("type") != "DRAM") continue;
    found = true;
    EXPECT_EQ(peak.at("at_begin"), 100);
    EXPECT_EQ(peak.at("peak"), 100 + 200 + 4096);
    EXPECT_EQ(peak.at("now"), 4096);
  }
  EXPECT_TRUE(found) << d.at("peaks").dump();
  Free(leaked);
  EXPECT_EQ(Ask(Query(checkpoint)).result.buffers, 0u);
  EXPECT_EQ(memledger_checkpoint_end(checkpoint), 0);
  EXPECT_EQ(Ask(Query(checkpoint)).status, MEMLEDGER_E_UNKNOWN_CHECKPOINT);
  EXPECT_EQ(memledger_checkpoint_end(checkpoint), MEMLEDGER_E_UNKNOWN_CHECKPOINT);
}

TEST(CheckpointApi, NestedCheckpointsEndInAnyOrder) {
  const memledger_checkpoint outer = memledger_checkpoint_begin();
  const Buffer x = Allocate(2, 10);
  const memledger_checkpoint inner = memledger_checkpoint_begin();
  ASSERT_GT(inner, outer);
  const Buffer y = Allocate(2, 20);
  EXPECT_EQ(AddressesOn(Ask(Query(inner)).document, 2), std::set<std::uint64_t>{y.address});
  EXPECT_EQ(AddressesOn(Ask(Query(outer)).document, 2), (std::set<std::uint64_t>{x.address, y.address}));
  EXPECT_EQ(memledger_checkpoint_end(outer), 0);  // the outer first
  EXPECT_EQ(AddressesOn(Ask(Query(inner)).document, 2), std::set<std::uint64_t>{y.address});
  EXPECT_EQ(Ask(Query(outer)).status, MEMLEDGER_E_UNKNOWN_CHECKPOINT);
  EXPECT_EQ(memledger_checkpoint_end(inner), 0);
  Free(x);
  Free(y);
}

TEST(CheckpointApi, ExcludedRangesAreLeftOut) {
  const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
  const Buffer mine = Allocate(3, 30);
  const memledger_seq_range shared{memledger_sequence(), 0};
  const Buffer fixture = Allocate(3, 40);  // a wider fixture's, set up inside the window
  const memledger_seq_range range{shared.begin, memledger_sequence()};
  ASSERT_LT(range.begin, range.end);
  memledger_checkpoint_query query = Query(checkpoint);
  query.excludes = &range;
  query.exclude_count = 1;
  const Answer answer = Ask(query);
  ASSERT_EQ(answer.status, 0);
  EXPECT_EQ(answer.result.buffers, 1u);
  EXPECT_EQ(AddressesOn(answer.document, 3), std::set<std::uint64_t>{mine.address});
  memledger_checkpoint_end(checkpoint);
  Free(mine);
  Free(fixture);
}

// Four threads, each in a loop: a checkpoint, buffers on its own device,
// all but one freed, a query that must list exactly that one of its
// device's — while the others allocate, free and query.
TEST(CheckpointApi, ConcurrentQueriesAreExact) {
  constexpr int kThreads = 4, kRounds = 150;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &wrong] {
      const std::uint32_t device = 10 + t;
      for (int round = 0; round < kRounds; ++round) {
        const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
        std::vector<Buffer> buffers;
        for (int i = 0; i < 1 + round % 7; ++i) buffers.push_back(Allocate(device, 64 + i));
        for (std::size_t i = 1; i < buffers.size(); ++i) Free(buffers[i]);
        const Answer answer = Ask(Query(checkpoint));
        if (answer.status != 0 || AddressesOn(answer.document, device) != std::set{buffers[0].address}) ++wrong;
        Free(buffers[0]);
        if (memledger_checkpoint_end(checkpoint) != 0) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(CheckpointApi, OlderStructSizesGetWhatTheyHold) {
  const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
  const Buffer leaked = Allocate(4, 512);
  // A query that ends at `checkpoint`, a result that ends at `bytes`: counts only.
  memledger_checkpoint_query query = Query(checkpoint);
  query.struct_size = offsetof(memledger_checkpoint_query, flags);
  memledger_checkpoint_result result{};
  result.struct_size = offsetof(memledger_checkpoint_result, peak_above_begin);
  result.peak_above_begin = 77;  // beyond its struct: untouched
  EXPECT_EQ(memledger_query_checkpoint(&query, &result), 0);
  EXPECT_EQ(result.buffers, 1u);
  EXPECT_EQ(result.bytes, 512u);
  EXPECT_EQ(result.peak_above_begin, 77u);
  // Counts only, asked.
  query = Query(checkpoint);
  query.flags = MEMLEDGER_CHECKPOINT_COUNTS_ONLY;
  const Answer counts = Ask(query);
  EXPECT_EQ(counts.status, 0);
  EXPECT_EQ(counts.result.buffers, 1u);
  EXPECT_TRUE(counts.document.is_null());
  EXPECT_TRUE(counts.text.empty());
  memledger_checkpoint_end(checkpoint);
  Free(leaked);
}

TEST(CheckpointApi, BadArgumentsAreRefused) {
  const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
  memledger_checkpoint_result result{};
  result.struct_size = sizeof(result);
  memledger_checkpoint_query query = Query(checkpoint);
  EXPECT_EQ(memledger_query_checkpoint(nullptr, &result), MEMLEDGER_E_ARGUMENT);
  EXPECT_EQ(memledger_query_checkpoint(&query, nullptr), MEMLEDGER_E_ARGUMENT);
  query.struct_size = 0;
  EXPECT_EQ(memledger_query_checkpoint(&query, &result), MEMLEDGER_E_ARGUMENT);
  query = Query(checkpoint);
  memledger_seq_range ranges[MEMLEDGER_MAX_EXCLUDES + 1] = {};
  query.excludes = ranges;
  query.exclude_count = MEMLEDGER_MAX_EXCLUDES + 1;
  EXPECT_EQ(memledger_query_checkpoint(&query, &result), MEMLEDGER_E_ARGUMENT);
  query.excludes = nullptr;
  query.exclude_count = 1;
  EXPECT_EQ(memledger_query_checkpoint(&query, &result), MEMLEDGER_E_ARGUMENT);
  EXPECT_EQ(Ask(Query(checkpoint + 1)).status, MEMLEDGER_E_UNKNOWN_CHECKPOINT);
  EXPECT_EQ(Ask(Query(0)).status, MEMLEDGER_E_UNKNOWN_CHECKPOINT);
  EXPECT_EQ(memledger_checkpoint_end(0), MEMLEDGER_E_UNKNOWN_CHECKPOINT);
  memledger_checkpoint_end(checkpoint);
}

TEST(CheckpointApi, AtMostMaxCheckpointsAreOpen) {
  std::vector<memledger_checkpoint> open;
  for (int i = 0; i < MEMLEDGER_MAX_CHECKPOINTS; ++i) open.push_back(memledger_checkpoint_begin());
  EXPECT_EQ(std::count(open.begin(), open.end(), memledger_checkpoint{0}), 0);
  EXPECT_EQ(memledger_checkpoint_begin(), 0u);
  EXPECT_EQ(memledger_checkpoint_end(open.back()), 0);
  open.pop_back();
  const memledger_checkpoint again = memledger_checkpoint_begin();
  EXPECT_NE(again, 0u);
  open.push_back(again);
  for (memledger_checkpoint checkpoint : open) EXPECT_EQ(memledger_checkpoint_end(checkpoint), 0);
}

TEST(CheckpointApi, CppCheckpointEndsWithItsScope) {
  memledger_checkpoint id = 0;
  {
    memledger::Checkpoint checkpoint;
    ASSERT_TRUE(checkpoint.active());
    id = checkpoint.id();
    const Buffer leaked = Allocate(5, 64);
    const memledger::CheckpointResult result = checkpoint.Query();
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.buffers, 1u);
    EXPECT_EQ(json::parse(result.json).at("bytes"), 64);
    EXPECT_FALSE(result.text.empty());
    Free(leaked);
    EXPECT_EQ(checkpoint.Query().buffers, 0u);
  }
  EXPECT_EQ(Ask(Query(id)).status, MEMLEDGER_E_UNKNOWN_CHECKPOINT);
}

}  // namespace
