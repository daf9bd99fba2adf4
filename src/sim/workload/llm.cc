// llm.cc — the llm workload: decode steps of a Llama-3.2-1B-like model split
// tensor-parallel over the devices (each device holds 1/devices of every
// weight). Per device: persistent weights (tag "weights"); per thread: a paged
// KV cache that grows a block every 32 tokens and is dropped when its batch of
// requests ends (tag "kv_cache"), a trace buffer (tag "trace"), and per decode
// step the activations of every layer op in L1, the logits in DRAM and their
// read-back in pinned host memory (tag "activations"). Every op is a program
// launch with its circular buffers. Thread 0 marks each step "step N".
// Prompt lengths are drawn from the seed; --leaks come from the leak sites
// (leak_sites.h), spread over the steps. Every allocation is made by a named
// site function (load_weight, grow_kv_cache, allocate_activation,
// allocate_logits, capture_trace: allocation_site.h).
//
// --oom: the scheduler admits a new batch of requests every step and never
// retires the finished ones, so the KV cache grows until DRAM is exhausted.
// The first failure on a device stops its threads (those mid-step may fail
// too, on a DRAM as full); none releases its cache until all have stopped,
// so every failure meets DRAM exhausted, not the holes a released cache leaves;
// and each thread keeps its DRAM logits from step to step (as a traced model
// does), so DRAM only grows.

#include <atomic>
#include <latch>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "memledger/memledger.hpp"
#include "sim/allocation_site.h"
#include "sim/buffer.h"
#include "sim/host_work.h"
#include "sim/program.h"
#include "sim/workload/device_session.h"
#include "sim/workload/leak_plan.h"
#include "sim/workload/leak_sites.h"
#include "sim/workload/out_of_memory.h"
#include "sim/workload/run_threads.h"
#include "sim/workload/workload.h"
#include "sim/workload/workload_gates.h"

namespace memledger::sim {
namespace {

constexpr std::uint64_t kTile = 2048;  // a 32x32 bfloat16 tile: the page size of every tensor
constexpr std::uint64_t kBf16 = 2;
constexpr std::uint32_t kLayers = 16;
constexpr std::uint64_t kHidden = 2048;
constexpr std::uint64_t kFfn = 8192;
constexpr std::uint64_t kKvDim = 512;
constexpr std::uint64_t kVocab = 128256;
constexpr std::uint64_t kBatch = 32;
constexpr std::uint64_t kBlockTokens = 32;   // KV cache page (block) length
constexpr std::uint64_t kMinPromptTokens = 32;
constexpr std::uint64_t kMaxPromptTokens = 256;
constexpr std::uint64_t kMaxTokens = 512;    // a batch of requests ends here and a new one starts
constexpr std::uint64_t kTraceBytes = 16 << 20;
// Host cost of one op launch, ~15 us: what a ttnn op costs on the host with
// the program cache warm (argument handling, dispatch commands, CB setup).
constexpr std::uint32_t kHostWorkPerOp = 16;
constexpr std::uint32_t kHostWorkPerSample = 16;  // host sampling from the read-back logits

// Bytes of a [rows, cols] bfloat16 tensor.
constexpr std::uint64_t Tensor(std::uint64_t rows, std::uint64_t cols) { return rows * cols * kBf16; }

// Bytes of one device's shard of the logits.
constexpr std::uint64_t LogitsBytes(std::uint64_t shards) { return Tensor(kBatch, kVocab) / shards; }

// A layer op: reader and writer data-movement kernels, a compute kernel, and
// input/output circular buffers of a few tiles per core.
Program Op(const std::string& name, std::uint64_t compute_binary, std::uint64_t cb_tiles) {
  return Program(name, {{name + "/reader", 1536}, {name + "/writer", 1536}, {name + "/compute", compute_binary}},
                 {{cb_tiles * kTile, kTile}, {cb_tiles * kTile, kTile}, {2 * kTile, kTile}}, kHostWorkPerOp);
}

struct LlmPrograms {
  Program embedding = Op("embedding", 2048, 2);
  Program rmsnorm = Op("rmsnorm", 5120, 4);
  Program qkv = Op("matmul_qkv", 6144, 8);
  Program rotary = Op("rotary_kv_update", 4096, 4);
  Program sdpa = Op("sdpa_decode", 8192, 8);
  Program out_proj = Op("matmul_out_proj", 6144, 8);
  Program ff13 = Op("matmul_ff1_ff3_silu", 7168, 8);
  Program ff2 = Op("matmul_ff2", 6144, 8);
  Program lm_head = Op("matmul_lm_head", 6144, 8);
};

struct LayerWeights {
  Buffer attention_norm, qkv, out_proj, ff_norm, ff1, ff3, ff2;
};

// One device's shard of the model; allocated once, shared by its threads.
struct DeviceWeights {
  Buffer embedding;
  std::vector<LayerWeights> layers;
  Buffer final_norm, lm_head, rope_cos, rope_sin;
};

// The site functions: each calls Buffer::Allocate itself (out of line, so
// it is the allocation's innermost workload frame) and throws OutOfMemory.
[[gnu::noinline]] Buffer load_weight(Device& device, MemType type, std::uint64_t bytes) {
  ScopedAllocationSite site(__func__);
  return BufferOrThrow(Buffer::Allocate(device, type, bytes, kTile), device, type, bytes);
}

[[gnu::noinline]] Buffer grow_kv_cache(Device& device, std::uint64_t bytes) {
  ScopedAllocationSite site(__func__);
  return BufferOrThrow(Buffer::Allocate(device, MemType::kDram, bytes, kTile), device, MemType::kDram, bytes);
}

[[gnu::noinline]] Buffer allocate_activation(Device& device, std::uint64_t bytes) {
  ScopedAllocationSite site(__func__);
  return BufferOrThrow(Buffer::Allocate(device, MemType::kL1, bytes, kTile), device, MemType::kL1, bytes);
}

[[gnu::noinline]] Buffer allocate_logits(Device& device, MemType type, std::uint64_t bytes) {
  ScopedAllocationSite site(__func__);
  return BufferOrThrow(Buffer::Allocate(device, type, bytes, kTile), device, type, bytes);
}

[[gnu::noinline]] Buffer capture_trace(Device& device) {
  ScopedAllocationSite site(__func__);
  return BufferOrThrow(Buffer::Allocate(device, MemType::kTrace, kTraceBytes, kTile), device, MemType::kTrace,
                       kTraceBytes);
}

DeviceWeights LoadWeights(Device& device, std::uint64_t shards) {
  ScopedTag tag("weights");
  const auto weight = [&](MemType type, std::uint64_t bytes) { return load_weight(device, type, bytes); };
  const auto dram = [&](std::uint64_t bytes) { return weight(MemType::kDram, bytes); };
  DeviceWeights weights{dram(Tensor(kVocab, kHidden) / shards), {}, dram(Tensor(1, kHidden)),
                        dram(Tensor(kHidden, kVocab) / shards), weight(MemType::kL1Small, Tensor(kBatch, 128)),
                        weight(MemType::kL1Small, Tensor(kBatch, 128))};
  for (std::uint32_t layer = 0; layer < kLayers; ++layer) {
    weights.layers.push_back({dram(Tensor(1, kHidden)), dram(Tensor(kHidden, kHidden + 2 * kKvDim) / shards),
                              dram(Tensor(kHidden, kHidden) / shards), dram(Tensor(1, kHidden)),
                              dram(Tensor(kHidden, kFfn) / shards), dram(Tensor(kHidden, kFfn) / shards),
                              dram(Tensor(kFfn, kHidden) / shards)});
  }
  return weights;
}

// One thread's paged KV cache: per layer, a K and a V block per kBlockTokens
// tokens of the current batch of requests, after the blocks of the batches
// it retained (--oom: every finished batch).
class KvCache {
 public:
  KvCache(Device& device, std::uint64_t shards, std::uint64_t seed, bool retain_finished_batches)
      : device_(device),
        block_bytes_(Tensor(kBatch * kBlockTokens, kKvDim) / shards),
        random_(seed),
        retain_finished_batches_(retain_finished_batches) {}

  // Makes room for the next token. When the batch of requests reached
  // kMaxTokens (--oom: after every step) a new batch starts, whose prompts
  // fill the first kMinPromptTokens to kMaxPromptTokens tokens; the finished
  // batch's blocks are dropped, or retained under --oom.
  void Advance() {
    ScopedTag tag("kv_cache");
    if (tokens_ == kMaxTokens || (retain_finished_batches_ && tokens_ > 0)) {
      if (!retain_finished_batches_) buffers_.clear();
      retained_ = buffers_.size();
      tokens_ = 0;
    }
    if (tokens_ == 0) tokens_ = prompt_tokens_(random_);
    ++tokens_;
    while (buffers_.size() < retained_ + (tokens_ + kBlockTokens - 1) / kBlockTokens * 2 * kLayers) {
      buffers_.push_back(grow_kv_cache(device_, block_bytes_));
    }
  }

 private:
  Device& device_;
  const std::uint64_t block_bytes_;
  std::vector<Buffer> buffers_;  // 2 * kLayers per block
  std::size_t retained_ = 0;     // of those, the finished batches' blocks
  std::uint64_t tokens_ = 0;
  std::mt19937_64 random_;
  std::uniform_int_distribution<std::uint64_t> prompt_tokens_{kMinPromptTokens, kMaxPromptTokens};
  const bool retain_finished_batches_;
};

// One decode step: every layer's ops with their activations, then the logits
// and their read-back. Activations are freed as soon as the next op consumed
// them; the DRAM logits too, unless the thread keeps `persistent_logits`.
void DecodeStep(Device& device, const LlmPrograms& programs, std::uint64_t shards,
                const std::optional<Buffer>& persistent_logits) {
  ScopedTag tag("activations");
  const auto l1 = [&](std::uint64_t bytes) { return allocate_activation(device, bytes); };
  const auto op = [&](const Program& program) { LaunchOrThrow(program, device); };
  Buffer hidden = l1(Tensor(kBatch, kHidden));
  op(programs.embedding);
  for (std::uint32_t layer = 0; layer < kLayers; ++layer) {
    Buffer normed = l1(Tensor(kBatch, kHidden));
    op(programs.rmsnorm);
    Buffer qkv = l1(Tensor(kBatch, kHidden + 2 * kKvDim) / shards);
    op(programs.qkv);
    normed.Deallocate();
    Buffer query = l1(Tensor(kBatch, kHidden) / shards);
    op(programs.rotary);
    qkv.Deallocate();
    Buffer attention = l1(Tensor(kBatch, kHidden) / shards);
    op(programs.sdpa);
    query.Deallocate();
    Buffer residual = l1(Tensor(kBatch, kHidden));
    op(programs.out_proj);
    attention.Deallocate();
    hidden = std::move(residual);
    Buffer ff_normed = l1(Tensor(kBatch, kHidden));
    op(programs.rmsnorm);
    Buffer ff = l1(Tensor(kBatch, kFfn) / shards);
    op(programs.ff13);
    ff_normed.Deallocate();
    Buffer ff_out = l1(Tensor(kBatch, kHidden));
    op(programs.ff2);
    ff.Deallocate();
    hidden = std::move(ff_out);
  }
  std::optional<Buffer> logits;
  if (!persistent_logits) logits = allocate_logits(device, MemType::kDram, LogitsBytes(shards));
  op(programs.lm_head);
  hidden.Deallocate();
  Buffer host_logits = allocate_logits(device, MemType::kSystemMemory, LogitsBytes(shards));
  DoHostWork(kHostWorkPerSample);
}

}  // namespace

WorkloadResult RunLlm(const WorkloadOptions& options) {
  const std::uint32_t threads = ThreadCount(options);
  const std::uint64_t shards = options.devices;
  const LlmPrograms programs;
  std::atomic<std::uint64_t> out_of_memory{0};
  WorkloadGates gates(options, threads);
  WorkloadResult result;
  result.truth = RunOnDevices(WormholeB0(), options, [&](const Devices& devices) {
    std::vector<std::optional<DeviceWeights>> weights(devices.size());
    RunThreads(static_cast<std::uint32_t>(devices.size()),
               [&](std::uint32_t device) { weights[device] = LoadWeights(*devices[device], shards); });
    gates.AtStart(devices);
    std::vector<std::atomic<bool>> exhausted(devices.size());  // --oom: a device's first failure
    std::latch stopped(threads);
    RunThreads(threads, [&](std::uint32_t thread) {
      Device& device = *devices[thread % devices.size()];
      std::atomic<bool>& device_exhausted = exhausted[thread % devices.size()];
      KvCache kv_cache(device, shards, ThreadSeed(options, thread), options.oom);
      std::optional<Buffer> trace;
      std::optional<Buffer> logits;  // --oom: DRAM only grows
      LeakPlan leaks(options.leaks, threads, thread, options.iterations);
      const auto leak = [&](std::uint64_t index) {
        if (!LeakFromSite(device, index)) out_of_memory.fetch_add(1, std::memory_order_relaxed);
      };
      for (std::uint64_t step = 0; step < options.iterations; ++step) {
        gates.AtIteration(step, devices);
        if (options.oom && device_exhausted.load(std::memory_order_relaxed)) break;
        if (thread == 0) Mark(fmt::format("step {}", step).c_str());
        leaks.MakeDue(step, leak);
        try {
          kv_cache.Advance();
          if (options.oom && !logits) logits = allocate_logits(device, MemType::kDram, LogitsBytes(shards));
          DecodeStep(device, programs, shards, logits);
          if (!trace) {
            ScopedTag tag("trace");  // the first step is captured into a trace
            trace = capture_trace(device);
          }
        } catch (const OutOfMemory&) {
          out_of_memory.fetch_add(1, std::memory_order_relaxed);
          if (options.oom) {  // driven until exhausted: that was it
            device_exhausted.store(true, std::memory_order_relaxed);
            break;
          }
        }
      }
      leaks.MakeDue(options.iterations, leak);
      if (options.oom) stopped.arrive_and_wait();  // the caches go back only once every thread has stopped
    });
  });
  result.out_of_memory = out_of_memory.load(std::memory_order_relaxed);
  return result;
}

}  // namespace memledger::sim
