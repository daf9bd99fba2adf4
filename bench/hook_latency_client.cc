// hook_latency_client.cc — memledger-hook-latency: a tracked process that
// times every hook call it makes. N threads each issue alloc/free pairs at a
// paced rate for a while and record each call's latency in a histogram; the
// merged percentiles go to a JSON file. Driven by restart_bench.cc, which
// kills and restarts, or stops and continues, the server under it.
//
// usage: memledger-hook-latency --threads N --seconds S --rate EVENTS_PER_S_PER_THREAD --out FILE
#include <time.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "memledger/memledger.h"

namespace {

// Log-linear buckets: 16 per power of two, from 1 ns to ~2^40 ns.
constexpr int kSubBuckets = 16;
constexpr int kBuckets = 41 * kSubBuckets;

int BucketOf(std::uint64_t ns) {
  if (ns < kSubBuckets) return static_cast<int>(ns);
  const int power = 63 - __builtin_clzll(ns);                      // >= 4
  const int sub = static_cast<int>((ns >> (power - 4)) & (kSubBuckets - 1));
  return std::min(kBuckets - 1, (power - 3) * kSubBuckets + sub);
}
std::uint64_t BucketUpperBound(int bucket) {
  if (bucket < kSubBuckets) return static_cast<std::uint64_t>(bucket);
  const int power = bucket / kSubBuckets + 3;
  const std::uint64_t sub = static_cast<std::uint64_t>(bucket % kSubBuckets);
  return ((kSubBuckets + sub + 1) << (power - 4)) - 1;
}

std::uint64_t NowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::uint64_t>(t.tv_sec) * 1'000'000'000ULL + static_cast<std::uint64_t>(t.tv_nsec);
}

struct Histogram {
  std::array<std::uint64_t, kBuckets> counts{};
  std::uint64_t max = 0;
  std::uint64_t total = 0;
  void Add(std::uint64_t ns) {
    ++counts[BucketOf(ns)];
    max = std::max(max, ns);
    ++total;
  }
  void Merge(const Histogram& other) {
    for (int i = 0; i < kBuckets; ++i) counts[i] += other.counts[i];
    max = std::max(max, other.max);
    total += other.total;
  }
  std::uint64_t Percentile(double p) const {
    const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(total));
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts[i];
      if (seen > rank) return std::min(BucketUpperBound(i), max);
    }
    return max;
  }
};

void Worker(std::uint32_t thread, double seconds, double rate, Histogram* out) {
  const std::uint64_t start = NowNs();
  const std::uint64_t end = start + static_cast<std::uint64_t>(seconds * 1e9);
  const double interval_ns = 2e9 / rate;  // one alloc/free pair per interval
  std::uint64_t id = static_cast<std::uint64_t>(thread) << 40;
  for (std::uint64_t pair = 0;; ++pair) {
    const std::uint64_t due = start + static_cast<std::uint64_t>(static_cast<double>(pair) * interval_ns);
    std::uint64_t now = NowNs();
    while (now < due) now = NowNs();
    if (now >= end) break;
    ++id;
    const std::uint64_t t0 = NowNs();
    memledger_record_alloc(0, MEMLEDGER_DRAM, id, id << 12, 4096);
    const std::uint64_t t1 = NowNs();
    memledger_record_free(0, MEMLEDGER_DRAM, id, id << 12);
    const std::uint64_t t2 = NowNs();
    out->Add(t1 - t0);
    out->Add(t2 - t1);
  }
}

const char* Flag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const auto threads = static_cast<std::uint32_t>(std::atoi(Flag(argc, argv, "--threads", "2")));
  const double seconds = std::atof(Flag(argc, argv, "--seconds", "2"));
  const double rate = std::atof(Flag(argc, argv, "--rate", "1000000"));
  const char* out_path = Flag(argc, argv, "--out", nullptr);
  if (threads == 0 || seconds <= 0 || rate <= 0 || out_path == nullptr) {
    std::fprintf(stderr, "usage: memledger-hook-latency --threads N --seconds S --rate EVENTS_PER_S --out FILE\n");
    return 2;
  }
  memledger_device_open(0, "latency", nullptr, 0);
  std::vector<Histogram> histograms(threads);
  std::vector<std::thread> workers;
  for (std::uint32_t t = 0; t < threads; ++t) workers.emplace_back(Worker, t, seconds, rate, &histograms[t]);
  for (auto& w : workers) w.join();
  memledger_device_close(0);
  Histogram all;
  for (const Histogram& h : histograms) all.Merge(h);
  FILE* out = std::fopen(out_path, "w");
  if (out == nullptr) return 1;
  std::fprintf(out, "{\"calls\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu}\n",
               static_cast<unsigned long long>(all.total), static_cast<unsigned long long>(all.Percentile(0.50)),
               static_cast<unsigned long long>(all.Percentile(0.99)),
               static_cast<unsigned long long>(all.Percentile(0.999)), static_cast<unsigned long long>(all.max));
  std::fclose(out);
  return 0;
}
