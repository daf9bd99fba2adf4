// synthetic_timeline.cc — see synthetic_timeline.h.
#include "synthetic_timeline.h"

#include <algorithm>
#include <array>
#include <random>
#include <string_view>
#include <tuple>
#include <vector>

namespace memledger::report_test {
namespace {

constexpr std::int64_t kKiB = 1024;
constexpr std::int64_t kMiB = 1024 * kKiB;
constexpr std::int64_t kGiB = 1024 * kMiB;
constexpr int kLayers = 64;
constexpr int kStepsPerRequest = 96;
constexpr std::array<std::string_view, 10> kOps = {"matmul",  "softmax", "layernorm", "rotary_embedding", "concat",
                                                   "silu",    "all_gather", "reshape", "embedding",      "sampling"};

struct Buffer {
  std::uint32_t series = 0;
  std::uint32_t site = 0;
  std::int64_t bytes = 0;
};

// Site indexes of each kind of allocation.
struct Sites {
  std::vector<std::uint32_t> weights, kv, dram_activations, l1_activations, cbs, kernels, leaks;
  std::uint32_t spike = 0, hostile = 0;
};

class Generator {
 public:
  explicit Generator(const SyntheticOptions& options) : options_(options) {}

  Timeline Run() {
    timeline_.title = options_.hostile_names ? "llm </title><script>alert(4)</script> (pid 4242) — llm.mlcap"
                                             : "memledger-sim llm (pid 4242) — llm.mlcap";
    timeline_.problem = options_.problem;
    timeline_.changes.reserve(options_.changes + 4096);
    MakeSites();
    LoadWeights();
    Steps();
    Close();
    timeline_.duration_ns = time_ + 1000;
    FindTopSites();
    FindGrowth();
    timeline_.events = timeline_.changes.size() + timeline_.marks.size() + 64;
    FindPeaks();
    timeline_.anomalies = {{.kind = "late_free_hook", .count = 37, .site = sites_.dram_activations[3],
                            .alloc_site = sites_.dram_activations[7],
                            .first = "buffer 7, [0x1000, 0x2000) 4.0 KiB on device 0 DRAM, overlapped by buffer 9, "
                                     "[0x1800, 0x2800) 4.0 KiB"},
                           {.kind = "double_free", .count = 2, .site = sites_.cbs[1], .alloc_site = sites_.cbs[1],
                            .first = "circular buffer 3, [0x40, 0x80) 64 B on device 0 CB: freed twice"},
                           {.kind = "unknown_free", .count = 5, .site = sites_.kernels[2], .alloc_site = 0,
                            .first = "kernel binary 12 at 0x100 on device 1 KERNEL: freed, never seen allocated"}};
    return std::move(timeline_);
  }

 private:
  std::uint32_t Series(std::uint16_t device, std::string type, std::string tag) {
    const auto key = std::make_tuple(device, type, tag);
    const auto [it, added] = series_ids_.try_emplace(key, timeline_.series.size());
    if (added) {
      std::string name = device == 1 && options_.hostile_names ? "n300 <b>&amp; chip 1</b>" : "n300";
      timeline_.series.push_back({.device = device, .device_name = name, .type = type, .tag = tag});
    }
    return it->second;
  }

  // Its stack lines are also its flame graph boxes; its headline as
  // SiteStacks would name it.
  std::uint32_t AddSite(std::vector<std::string> frames, std::string headline) {
    std::vector<std::string> boxes = frames;
    timeline_.sites.push_back(
        {.frames = std::move(frames), .headline = std::move(headline), .boxes = std::move(boxes)});
    return static_cast<std::uint32_t>(timeline_.sites.size() - 1);
  }

  // Stacks as the symbolizer writes them, innermost first: the allocator, an
  // operation, the model's layer, the step, main.
  std::uint32_t OpSite(std::string_view what, int variant, std::string_view op, std::string_view caller) {
    const std::string op_name(op);
    std::string headline = std::string(what) + " at " + op_name + ".cpp:" + std::to_string(40 + 13 * variant);
    std::vector<std::string> frames = {
        "tt::tt_metal::Buffer::create(tt::tt_metal::IDevice*, unsigned long, tt::tt_metal::BufferType) at "
        "tt_metal/impl/buffers/buffer.cpp:" + std::to_string(211 + variant % 7),
        std::string(what) + " at ttnn/cpp/ttnn/operations/" + op_name + "/" + op_name + ".cpp:" +
            std::to_string(40 + 13 * variant),
        "ttnn::device_operation::launch_on_device<ttnn::operations::" + op_name + "::Operation> at "
        "ttnn/cpp/ttnn/device_operation.hpp:" + std::to_string(300 + variant % 5)};
    for (int depth = 0; depth < variant % 4; ++depth) {
      frames.push_back("llm::Block" + std::to_string(depth) + "::forward at models/llm/block.cc:" +
                       std::to_string(100 + depth * 17 + variant));
    }
    frames.push_back(std::string(caller));
    frames.push_back("main at models/llm/main.cc:88");
    return AddSite(std::move(frames), std::move(headline));
  }

  void MakeSites() {
    AddSite({}, "(no stack: MEMLEDGER_STACKS=1 records them)");  // sites[0]
    for (int i = 0; i < 24; ++i) {
      sites_.weights.push_back(
          OpSite("llm::WeightLoader::load_tensor", i, "embedding", "llm::Model::load at models/llm/model.cc:52"));
    }
    for (int i = 0; i < 8; ++i) {
      sites_.kv.push_back(
          OpSite("llm::KvCache::extend", i, "concat", "llm::Model::decode_step at models/llm/model.cc:140"));
    }
    const auto op_sites = [&](std::vector<std::uint32_t>& out, int count, std::string_view what) {
      for (int i = 0; i < count; ++i) {
        const std::string_view op = kOps[static_cast<std::size_t>(i) % kOps.size()];
        out.push_back(OpSite("ttnn::operations::" + std::string(op) + "::" + std::string(what), i, op,
                             "llm::DecoderLayer::forward at models/llm/decoder.cc:" + std::to_string(60 + i)));
      }
    };
    op_sites(sites_.dram_activations, 100, "create_output_tensors");
    op_sites(sites_.l1_activations, 60, "create_sharded_output");
    op_sites(sites_.cbs, 60, "create_program::CreateCircularBuffer");
    op_sites(sites_.kernels, 40, "create_program::CreateKernel");
    for (int i = 0; i < 4; ++i) {
      sites_.leaks.push_back(OpSite("llm::Sampler::scratch_for_step", i, "sampling",
                                    "llm::Model::decode_step at models/llm/model.cc:" + std::to_string(171 + i)));
    }
    sites_.spike = OpSite("llm::Model::prefill_scratch", 1, "matmul", "llm::Model::prefill at models/llm/model.cc:97");
    sites_.hostile = options_.hostile_names
                         ? AddSite({"operator<< <std::vector<int>>() </script><script>alert(2)</script> at x.h:1",
                                    "main at models/llm/main.cc:88"},
                                   "operator<< </script><script>alert(3)</script> at x.h:1")
                         : sites_.spike;
  }

  void Tick() {
    const std::uint64_t roll = rng_() % 10;
    if (roll >= 3) time_ += 100 + rng_() % 1400;  // 30%: drained in the same batch, same time
  }

  std::int64_t Size(std::int64_t low, std::int64_t high) {
    return low + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(high - low + 1)) / 32 * 32;
  }

  // A tensor's size: like real code, a site allocates one of a few shapes
  // (four here, say per batch size), the same bytes every time.
  std::int64_t Shape(std::uint32_t site, std::int64_t low, std::int64_t high) {
    std::uint64_t hash = (site * 4 + rng_() % 4 + 1) * 0x9E3779B97F4A7C15ull;
    hash = (hash ^ (hash >> 31)) * 0xBF58476D1CE4E5B9ull;
    hash ^= hash >> 29;
    return low + static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(high - low + 1)) / 32 * 32;
  }

  Buffer AllocShape(std::uint32_t series, std::uint32_t site, std::int64_t low, std::int64_t high) {
    return Alloc(series, site, Shape(site, low, high));
  }

  Buffer Alloc(std::uint32_t series, std::uint32_t site, std::int64_t bytes) {
    Tick();
    timeline_.changes.push_back({.time_ns = time_, .delta_bytes = bytes, .series = series, .site = site});
    return {.series = series, .site = site, .bytes = bytes};
  }

  void Free(const Buffer& buffer) {
    Tick();
    timeline_.changes.push_back(
        {.time_ns = time_, .delta_bytes = -buffer.bytes, .series = buffer.series, .site = buffer.site});
  }

  std::uint32_t PickSite(const std::vector<std::uint32_t>& sites, std::uint64_t salt) {
    return sites[(salt + rng_() % 3) % sites.size()];
  }

  void LoadWeights() {
    for (std::uint16_t device = 0; device < 2; ++device) {
      const std::uint32_t series = Series(device, "DRAM", "weights");
      for (int i = 0; i < 200; ++i) {
        weights_.push_back(Alloc(series, sites_.weights[static_cast<std::size_t>(i) % 24], Size(4 * kMiB, 40 * kMiB)));
      }
    }
    leaked_.push_back(Alloc(Series(0, "L1", "activations"), sites_.leaks[0], 96 * kKiB));
  }

  // Decode steps until the target: per device and layer, activations in DRAM
  // and L1, circular buffers and a kernel binary come and go; the kv cache
  // grows a page per layer; every 16 steps a leak site keeps a buffer.
  void Steps() {
    std::vector<Buffer> kv;
    std::array<Buffer, 2> carried{};
    bool spiked = false;
    const auto done = [&] {
      return timeline_.changes.size() + kv.size() + weights_.size() + leaked_.size() + 8 >= options_.changes;
    };
    for (std::uint64_t step = 0; !done(); ++step) {
      std::string label = "decode step " + std::to_string(step);
      if (options_.hostile_names && step % 100 == 7) label += " <b onmouseover=alert(3)>";
      timeline_.marks.push_back({.time_ns = time_, .label = std::move(label)});
      for (std::uint16_t device = 0; device < 2 && !done(); ++device) {
        const std::uint32_t dram = Series(device, "DRAM", "activations");
        const std::uint32_t l1 = Series(device, "L1", "activations");
        const std::uint32_t cb = Series(device, "CB", "");
        const std::uint32_t kernel = Series(device, "KERNEL", "");
        const std::uint32_t kv_series = Series(device, "DRAM", "kv_cache");
        for (std::uint64_t layer = 0; layer < kLayers && !done(); ++layer) {
          const Buffer a = AllocShape(dram, PickSite(sites_.dram_activations, layer), 1 * kMiB, 16 * kMiB);
          const Buffer b = AllocShape(dram, PickSite(sites_.dram_activations, layer + 50), 1 * kMiB, 8 * kMiB);
          const Buffer c = AllocShape(l1, PickSite(sites_.l1_activations, layer), 32 * kKiB, 512 * kKiB);
          std::array<Buffer, 3> cbs;
          for (Buffer& buffer : cbs) buffer = AllocShape(cb, PickSite(sites_.cbs, layer), 16 * kKiB, 128 * kKiB);
          const Buffer k = AllocShape(kernel, PickSite(sites_.kernels, layer), 8 * kKiB, 48 * kKiB);
          kv.push_back(AllocShape(kv_series, sites_.kv[layer % 8], 256 * kKiB, 1 * kMiB));
          Free(k);
          for (const Buffer& buffer : cbs) Free(buffer);
          Free(c);
          Free(a);
          if (carried[device].bytes != 0) Free(carried[device]);
          carried[device] = b;
          if (options_.hostile_names && layer == 5 && step % 50 == 0) {
            Free(Alloc(Series(device, "DRAM", kHostileTag), sites_.hostile, 3 * kMiB));
          }
        }
        if (step % 16 == 15 && device == 1) {
          leaked_.push_back(Alloc(dram, sites_.leaks[1 + step / 16 % 3], 2 * kMiB));
        }
      }
      if (!spiked && timeline_.changes.size() >= options_.changes * 6 / 10) {
        // One short burst, a few changes wide: the peak a per-pixel average would lose.
        spiked = true;
        const Buffer spike = Alloc(Series(0, "DRAM", "activations"), sites_.spike, 3 * kGiB / 2);
        const Buffer small = Alloc(Series(0, "L1", "activations"), sites_.spike, 64 * kKiB);
        Free(small);
        Free(spike);
      }
      if (step % kStepsPerRequest == kStepsPerRequest - 1) {
        for (const Buffer& buffer : kv) Free(buffer);
        kv.clear();
        if (step / kStepsPerRequest == 2) time_ += 5'300'000'000;  // an idle gap: more than 2^32 ns
      }
    }
    for (const Buffer& buffer : carried) {
      if (buffer.bytes != 0) Free(buffer);
    }
    for (const Buffer& buffer : kv) Free(buffer);
  }

  // Weights are freed; what the leak sites kept is leaked when the devices close.
  void Close() {
    for (const Buffer& buffer : weights_) Free(buffer);
    time_ += 50'000;
    std::map<std::tuple<std::uint32_t, std::uint32_t>, TimelineLeak> leaks;
    for (const Buffer& buffer : leaked_) {
      timeline_.changes.push_back({.time_ns = time_, .delta_bytes = -buffer.bytes, .series = buffer.series,
                                   .site = buffer.site});
      const TimelineSeries& series = timeline_.series[buffer.series];
      TimelineLeak& leak = leaks[{buffer.series, buffer.site}];
      leak.place = TimelinePlace{series.device, series.device_name, series.type, series.tag, buffer.site};
      leak.bytes += static_cast<std::uint64_t>(buffer.bytes);
      ++leak.buffers;
    }
    for (auto& [key, leak] : leaks) timeline_.leaks.push_back(std::move(leak));
    std::ranges::sort(timeline_.leaks, std::greater{}, &TimelineLeak::bytes);
  }

  // What each site allocated per series (device, type, tag): the largest 25
  // by bytes and by count, as CaptureAnalysis would list them.
  void FindTopSites() {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::pair<std::uint64_t, std::uint64_t>> allocated;
    for (const TimelineChange& change : timeline_.changes) {
      if (change.delta_bytes <= 0) continue;
      auto& [bytes, count] = allocated[{change.series, change.site}];
      bytes += static_cast<std::uint64_t>(change.delta_bytes);
      ++count;
    }
    std::vector<TimelineSiteTotal> totals;
    for (const auto& [key, value] : allocated) {
      const TimelineSeries& series = timeline_.series[key.first];
      totals.push_back({.place = {series.device, series.device_name, series.type, series.tag, key.second},
                        .bytes = value.first, .allocations = value.second});
    }
    const auto top = [&](auto member) {
      std::ranges::stable_sort(totals, std::greater{}, member);
      return std::vector<TimelineSiteTotal>(totals.begin(), totals.begin() + std::min<std::size_t>(25, totals.size()));
    };
    timeline_.top_by_bytes = top(&TimelineSiteTotal::bytes);
    timeline_.top_by_count = top(&TimelineSiteTotal::allocations);
  }

  // The leak sites that keep a buffer every 16 steps grow from mark to mark.
  void FindGrowth() {
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> kept;  // (series, site) -> buffers
    for (const Buffer& buffer : leaked_) {
      if (buffer.site != sites_.leaks[0]) ++kept[{buffer.series, buffer.site}];
    }
    const auto intervals = static_cast<std::uint32_t>(timeline_.marks.size() - 1);
    for (const auto& [key, buffers] : kept) {
      const TimelineSeries& series = timeline_.series[key.first];
      timeline_.growth.push_back({.place = {series.device, series.device_name, series.type, series.tag, key.second},
                                  .first_bytes = 2 * kMiB,
                                  .last_bytes = buffers * 2 * kMiB, .rises = static_cast<std::uint32_t>(buffers - 1),
                                  .intervals = intervals});
    }
    std::ranges::sort(timeline_.growth, std::greater{}, &TimelineGrowth::last_bytes);
  }

  // Per device × type: the highest live bytes, the first change reaching it,
  // then what was live right after that change, by site and by tag.
  void FindPeaks() {
    using Account = std::pair<std::uint16_t, std::string>;
    std::map<Account, std::int64_t> live;
    std::map<Account, std::pair<std::int64_t, std::size_t>> best;  // bytes, change index
    const auto account = [&](const TimelineChange& change) {
      const TimelineSeries& series = timeline_.series[change.series];
      return Account(series.device, series.type);
    };
    for (std::size_t i = 0; i < timeline_.changes.size(); ++i) {
      const Account key = account(timeline_.changes[i]);
      const std::int64_t bytes = live[key] += timeline_.changes[i].delta_bytes;
      auto& [peak, index] = best[key];
      if (bytes > peak) {
        peak = bytes;
        index = i;
      }
    }
    std::map<std::tuple<Account, std::uint32_t, std::string>, std::pair<std::int64_t, std::int64_t>> by_site;
    std::vector<std::pair<std::size_t, Account>> order;
    for (const auto& [key, value] : best) order.emplace_back(value.second, key);
    std::ranges::sort(order);
    std::size_t next = 0;
    for (const auto& [index, key] : order) {
      for (; next <= index; ++next) {
        const TimelineChange& change = timeline_.changes[next];
        auto& [bytes, buffers] = by_site[{account(change), change.site, timeline_.series[change.series].tag}];
        bytes += change.delta_bytes;
        buffers += change.delta_bytes > 0 ? 1 : -1;
      }
      const auto named = std::ranges::find(timeline_.series, key.first, &TimelineSeries::device);
      TimelinePeak peak;
      peak.device = key.first;
      peak.device_name = named->device_name;
      peak.type = key.second;
      peak.bytes = static_cast<std::uint64_t>(best[key].first);
      peak.time_ns = timeline_.changes[index].time_ns;
      peak.capacity = key.second == "DRAM" ? 12 * kGiB : key.second == "KERNEL" ? 0 : 120 * 1536 * kKiB;
      std::map<std::string, TimelineTagBytes> tags;
      for (const auto& [site_key, value] : by_site) {
        const auto& [site_account, site, tag] = site_key;
        if (site_account != key || value.second == 0) continue;
        peak.sites.push_back({.site = site, .tag = tag, .bytes = static_cast<std::uint64_t>(value.first),
                              .buffers = static_cast<std::uint64_t>(value.second)});
        TimelineTagBytes& by_tag = tags[tag];
        by_tag.tag = tag;
        by_tag.bytes += static_cast<std::uint64_t>(value.first);
        by_tag.buffers += static_cast<std::uint64_t>(value.second);
      }
      std::ranges::sort(peak.sites, std::greater{}, &TimelineSiteBytes::bytes);
      for (auto& [tag, value] : tags) peak.tags.push_back(std::move(value));
      std::ranges::sort(peak.tags, std::greater{}, &TimelineTagBytes::bytes);
      timeline_.peaks.push_back(std::move(peak));
    }
  }

  const SyntheticOptions& options_;
  Timeline timeline_;
  Sites sites_;
  std::map<std::tuple<std::uint16_t, std::string, std::string>, std::uint32_t> series_ids_;
  std::mt19937_64 rng_{20240501};
  std::uint64_t time_ = 0;
  std::vector<Buffer> weights_, leaked_;
};

}  // namespace

Timeline SyntheticTimeline(const SyntheticOptions& options) { return Generator(options).Run(); }

std::map<std::uint16_t, std::uint64_t> MaxLivePerDevice(const Timeline& timeline) {
  std::map<std::uint16_t, std::int64_t> live;
  std::map<std::uint16_t, std::uint64_t> max;
  for (const TimelineSeries& series : timeline.series) max[series.device] = 0;
  for (const TimelineChange& change : timeline.changes) {
    const std::uint16_t device = timeline.series[change.series].device;
    const std::int64_t bytes = live[device] += change.delta_bytes;
    max[device] = std::max(max[device], static_cast<std::uint64_t>(std::max<std::int64_t>(bytes, 0)));
  }
  return max;
}

std::map<std::pair<std::uint16_t, std::string>, std::uint64_t> MaxLivePerPool(const Timeline& timeline) {
  std::map<std::pair<std::uint16_t, std::string>, std::int64_t> live;
  std::map<std::pair<std::uint16_t, std::string>, std::uint64_t> max;
  for (const TimelineSeries& series : timeline.series) max[{series.device, series.type}] = 0;
  for (const TimelineChange& change : timeline.changes) {
    const TimelineSeries& series = timeline.series[change.series];
    const std::pair<std::uint16_t, std::string> pool{series.device, series.type};
    const std::int64_t bytes = live[pool] += change.delta_bytes;
    max[pool] = std::max(max[pool], static_cast<std::uint64_t>(std::max<std::int64_t>(bytes, 0)));
  }
  return max;
}

}  // namespace memledger::report_test
