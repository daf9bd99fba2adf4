// symbolize_bench.cc — BM_Symbolize10kStacks: what a report pays to
// symbolize 10,000 distinct 16-frame stacks with a fresh Symbolizer (cold
// caches: files opened, DWARF read), beside BM_Symbolize10kStacksWarm, the same
// stacks through one Symbolizer whose caches are warm, as the baseline.
// Target: cold <= 2 s.
//
// The stacks are made of real code: an address inside each of a few hundred
// functions of this benchmark (DWARF, -g) and of libstdc++ (symbol table
// only, unless its debug info is installed), as loaded in this process.
#include <benchmark/benchmark.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "event/record.h"
#include "symbolize/symbolizer.h"

namespace memledger {
namespace {

constexpr std::size_t kStacks = 10'000;
constexpr std::size_t kDepth = 16;
constexpr std::size_t kBenchFunctions = 300;
constexpr std::size_t kLibstdcxxFunctions = 100;

struct Workload {
  std::vector<ModuleDescription> modules;
  std::vector<std::vector<std::uint64_t>> stacks;
};

// Describes the module of this process that holds `address`, as the client
// would, and appends an address inside each of `count` of its functions,
// spread over its symbol table.
void AddCodeOfModuleAt(Dwfl* dwfl, std::uint64_t address, std::size_t count, Workload& workload,
                       std::vector<std::uint64_t>& code) {
  Dwfl_Module* mod = dwfl_addrmodule(dwfl, address);
  GElf_Addr bias = 0;
  if (mod == nullptr || dwfl_module_getelf(mod, &bias) == nullptr) return;
  Dwarf_Addr low = 0;
  Dwarf_Addr high = 0;
  const char* path = nullptr;
  const char* name = dwfl_module_info(mod, nullptr, &low, &high, nullptr, nullptr, &path, nullptr);
  const unsigned char* build_id = nullptr;
  GElf_Addr build_id_address = 0;
  const int build_id_size = dwfl_module_build_id(mod, &build_id, &build_id_address);

  ModuleDescription& module = workload.modules.emplace_back();
  module.base = bias;
  module.start = low;
  module.end = high;
  if (build_id_size > 0) module.build_id.assign(reinterpret_cast<const char*>(build_id), build_id_size);
  module.path = path != nullptr ? path : name;

  std::vector<std::uint64_t> functions;
  const int symbols = dwfl_module_getsymtab(mod);
  for (int i = 1; i < symbols; ++i) {
    GElf_Sym sym;
    GElf_Addr start = 0;
    if (dwfl_module_getsym_info(mod, i, &sym, &start, nullptr, nullptr, nullptr) == nullptr) continue;
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || sym.st_size < 16) continue;
    functions.push_back(start + sym.st_size / 2);
  }
  std::sort(functions.begin(), functions.end());
  functions.erase(std::unique(functions.begin(), functions.end()), functions.end());
  for (std::size_t i = 0; i < count && i < functions.size(); ++i) {
    code.push_back(functions[i * functions.size() / count]);
  }
}

Workload MakeWorkload() {
  static const Dwfl_Callbacks kProcCallbacks = {
      .find_elf = dwfl_linux_proc_find_elf,
      .find_debuginfo = dwfl_standard_find_debuginfo,
      .section_address = nullptr,
      .debuginfo_path = nullptr,
  };
  Workload workload;
  std::vector<std::uint64_t> code;
  Dwfl* dwfl = dwfl_begin(&kProcCallbacks);
  dwfl_report_begin(dwfl);
  dwfl_linux_proc_report(dwfl, getpid());
  dwfl_report_end(dwfl, nullptr, nullptr);
  AddCodeOfModuleAt(dwfl, reinterpret_cast<std::uint64_t>(&MakeWorkload), kBenchFunctions, workload, code);
  AddCodeOfModuleAt(dwfl, reinterpret_cast<std::uint64_t>(&std::terminate), kLibstdcxxFunctions, workload, code);
  dwfl_end(dwfl);
  if (code.empty()) return workload;

  std::mt19937_64 random(1);
  std::set<std::vector<std::uint64_t>> stacks;
  while (stacks.size() < kStacks) {
    std::vector<std::uint64_t> stack(kDepth);
    for (std::uint64_t& frame : stack) frame = code[random() % code.size()];
    stacks.insert(std::move(stack));
  }
  workload.stacks.assign(stacks.begin(), stacks.end());
  return workload;
}

const Workload& TheWorkload() {
  static const Workload workload = MakeWorkload();
  return workload;
}

// Symbolizes every stack; counts the frames out (inlined calls included) and
// those with a file:line.
void SymbolizeAll(Symbolizer& symbolizer, const Workload& workload, std::size_t& frames, std::size_t& with_line) {
  frames = with_line = 0;
  for (const auto& stack : workload.stacks) {
    for (const SymbolizedFrame& frame : symbolizer.Symbolize(workload.modules, stack)) {
      ++frames;
      with_line += frame.line != 0;
    }
  }
}

void Report(benchmark::State& state, std::size_t frames, std::size_t with_line) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kStacks));
  state.counters["frames"] = static_cast<double>(frames);
  state.counters["with_line"] = static_cast<double>(with_line);
}

void BM_Symbolize10kStacks(benchmark::State& state) {
  const Workload& workload = TheWorkload();
  if (workload.stacks.empty()) state.SkipWithError("no code addresses found in this process");
  std::size_t frames = 0, with_line = 0;
  for (auto _ : state) {
    Symbolizer symbolizer;
    SymbolizeAll(symbolizer, workload, frames, with_line);
  }
  Report(state, frames, with_line);
}
BENCHMARK(BM_Symbolize10kStacks)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

void BM_Symbolize10kStacksWarm(benchmark::State& state) {
  const Workload& workload = TheWorkload();
  if (workload.stacks.empty()) state.SkipWithError("no code addresses found in this process");
  std::size_t frames = 0, with_line = 0;
  Symbolizer symbolizer;
  SymbolizeAll(symbolizer, workload, frames, with_line);
  for (auto _ : state) SymbolizeAll(symbolizer, workload, frames, with_line);
  Report(state, frames, with_line);
}
BENCHMARK(BM_Symbolize10kStacksWarm)->Unit(benchmark::kMillisecond)->Repetitions(3)->DisplayAggregatesOnly(true);

}  // namespace
}  // namespace memledger
