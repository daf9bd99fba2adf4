// seed_baseline_bench.cc — BM_HookSeedBaseline: the design memledger
// replaces, rebuilt faithfully as the baseline for the hook benchmarks. Each
// hook takes one global mutex and sends one 72-byte message (the legacy v1
// layout) with a blocking send() over a Unix stream socket to a server thread,
// which reads whole messages and keeps a map of live buffers like the old
// tracking server did.
#include <benchmark/benchmark.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace {

#pragma pack(push, 1)
struct LegacyMessage {  // the legacy protocol's v1 message
  std::uint8_t type;
  std::uint8_t pad1[3];
  std::int32_t device_id;
  std::uint64_t size;
  std::uint8_t buffer_type;
  std::uint8_t pad2[3];
  std::int32_t process_id;
  std::uint64_t buffer_id;
  std::uint64_t timestamp;
  std::uint64_t dram_allocated, l1_allocated, l1_small_allocated, trace_allocated;
};
#pragma pack(pop)
static_assert(sizeof(LegacyMessage) == 72);

class SeedTracker {
 public:
  SeedTracker() {
    socketpair(AF_UNIX, SOCK_STREAM, 0, fds_);
    server_ = std::thread([this] { Serve(); });
  }
  ~SeedTracker() {
    shutdown(fds_[0], SHUT_WR);
    server_.join();
    close(fds_[0]);
    close(fds_[1]);
  }
  void Track(std::uint8_t type, std::uint64_t buffer_id, std::uint64_t size) {
    LegacyMessage m{};
    m.type = type;
    m.size = size;
    m.buffer_id = buffer_id;
    m.process_id = 1;
    std::lock_guard lock(mutex_);  // g_allocation_tracking_mutex
    const char* p = reinterpret_cast<const char*>(&m);
    for (std::size_t sent = 0; sent < sizeof(m);) {
      const ssize_t n = send(fds_[0], p + sent, sizeof(m) - sent, 0);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

 private:
  void Serve() {
    LegacyMessage m;
    std::size_t have = 0;
    for (;;) {
      const ssize_t n = recv(fds_[1], reinterpret_cast<char*>(&m) + have, sizeof(m) - have, 0);
      if (n <= 0) return;
      have += static_cast<std::size_t>(n);
      if (have < sizeof(m)) continue;
      have = 0;
      if (m.type == 1) live_[m.buffer_id] = m.size;
      else live_.erase(m.buffer_id);
    }
  }
  int fds_[2];
  std::mutex mutex_;
  std::thread server_;
  std::unordered_map<std::uint64_t, std::uint64_t> live_;  // server thread only
};

SeedTracker* g_tracker = nullptr;

void BM_HookSeedBaseline(benchmark::State& state) {
  const auto thread = static_cast<std::uint64_t>(state.thread_index()) << 40;
  std::uint64_t i = 0;
  for (auto _ : state) {
    const std::uint64_t id = thread | (i >> 1);
    g_tracker->Track((i & 1) == 0 ? 1 : 2, id + 1, 4096);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HookSeedBaseline)
    ->Threads(1)
    ->Threads(2)
    ->Repetitions(5)
    ->DisplayAggregatesOnly(true)
    ->UseRealTime()
    ->Setup([](const benchmark::State&) { g_tracker = new SeedTracker(); })
    ->Teardown([](const benchmark::State&) {
      delete g_tracker;
      g_tracker = nullptr;
    });

}  // namespace
