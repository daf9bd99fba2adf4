// python_frames_bench.cc — what Python frames in stacks cost the hooked
// thread (memledger-bench-python: an embedded interpreter with the memledger
// module imported, as a Python program runs it). Each benchmark is
// BM_HookStacks' loop (hook_bench.cc) at stack depth 16, warm:
//   BM_HookStacksNative/16          native frames only, no frame provider: BM_HookStacks/16
//   BM_HookStacksNativeInPython/16  the same on a thread that does not hold the GIL, in a process
//                                   whose memledger module set its provider: a runtime's worker thread
//   BM_HookStacksPython/16          the hook called from native code under 16 Python frames that hold
//                                   the GIL: the native frames up to the interpreter, then Python's
//
// Run with MEMLEDGER=1 MEMLEDGER_REPORT=0, like memledger-bench.
#include <benchmark/benchmark.h>
#include <pybind11/embed.h>

#include <cstdint>
#include <cstdio>

#include "hook_loop.h"
#include "memledger/memledger.h"

namespace py = pybind11;

namespace {

constexpr int kStackDepth = 16;
using memledger::bench::HookLoop;
using memledger::bench::NestedHookLoop;

benchmark::State* g_state = nullptr;  // the running Python benchmark's, for run() below

bool StacksOn(benchmark::State& state) {
  if (memledger_set_stack_depth(kStackDepth) >= 0) return true;
  state.SkipWithError("tracking is off: run with MEMLEDGER=1 MEMLEDGER_REPORT=0");
  return false;
}

// A native loop on this thread with the GIL released (the interpreter is
// embedded: the main thread holds it otherwise).
void NativeLoop(benchmark::State& state) {
  if (!StacksOn(state)) return;
  {
    py::gil_scoped_release unlocked;
    NestedHookLoop(static_cast<int>(state.range(0)), state);
  }
  memledger_set_stack_depth(0);
}

void BM_HookStacksNative(benchmark::State& state) {
  py::module_::import("memledger").attr("_memledger").attr("_remove_frame_provider")();
  NativeLoop(state);
  py::exec("import memledger, os\n"
           "memledger._memledger._install_frame_provider(os.path.dirname(memledger.__file__) + os.sep)\n");
}
BENCHMARK(BM_HookStacksNative)->Arg(kStackDepth)->Repetitions(5)->DisplayAggregatesOnly(true)->UseRealTime();

void BM_HookStacksNativeInPython(benchmark::State& state) { NativeLoop(state); }
BENCHMARK(BM_HookStacksNativeInPython)->Arg(kStackDepth)->Repetitions(5)->DisplayAggregatesOnly(true)->UseRealTime();

void BM_HookStacksPython(benchmark::State& state) {
  if (!StacksOn(state)) return;
  g_state = &state;
  py::globals()["python_frames"] = state.range(0);
  py::exec(R"(
import memledger_bench
def nest(n):
    if n == 0:
        memledger_bench.run()
    else:
        nest(n - 1)
nest(python_frames - 1)
)");
  g_state = nullptr;
  memledger_set_stack_depth(0);
}
BENCHMARK(BM_HookStacksPython)->Arg(kStackDepth)->Repetitions(5)->DisplayAggregatesOnly(true)->UseRealTime();

}  // namespace

PYBIND11_EMBEDDED_MODULE(memledger_bench, m) {
  m.def("run", [] { HookLoop(*g_state); });
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  py::scoped_interpreter interpreter;
  py::module_::import("sys").attr("path").attr("insert")(0, MEMLEDGER_PYTHON_DIR);
  py::module_::import("memledger");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
