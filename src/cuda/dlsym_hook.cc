// dlsym_hook.cc — this library's dlsym: how the interposer sees the driver
// that cudart (static or shared) loads for itself. cudart dlopens
// libcuda.so.1 RTLD_LOCAL and asks dlsym(handle, "cuGetProcAddress_v2"); a
// lookup in a handle searches that library and its dependencies only, never
// LD_PRELOAD. So dlsym(handle, NAME), for an explicit handle and a NAME this
// library wraps, returns the wrapper, and the function the library holds
// becomes the wrapper's real function (entry_points.h). Every other call is
// glibc's dlsym, unchanged.
//
// glibc's dlsym looks at its caller's return address (RTLD_NEXT means "after
// the caller's object"; the caller's namespace). So dlsym is a trampoline in
// assembly: it asks DlsymSubstitute, and when that has nothing to say it
// jumps (not calls) to glibc's dlsym, which then sees the original caller.
// Other architectures get no dlsym hook: the interposer then sees only what
// the dynamic symbol table and cuGetProcAddress show it (docs/integrations/cuda.md).
//
// DlsymSubstitute may run before the sanitizer runtimes are initialized (they
// look up their own interceptors with dlsym(RTLD_NEXT, ...)): it is not
// instrumented, and it touches instrumented code only for explicit handles.
//
// Thread-safety: any thread; the real dlsym is resolved lock-free, once.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "cuda/entry_points.h"
#include "cuda/real_dlsym.h"

using DlsymFunction = void* (*)(void*, const char*);

// glibc's dlsym, found on first use (release store in LoadRealDlsym, after
// which the same thread's trampoline jumps through it). Hidden: the
// trampoline reads it directly.
extern "C" {
__attribute__((visibility("hidden"))) constinit DlsymFunction memledger_cuda_real_dlsym = nullptr;
}

namespace memledger::cuda {
namespace {

#if defined(__x86_64__)
constexpr const char* kDlsymBaseVersion = "GLIBC_2.2.5";
#elif defined(__aarch64__)
constexpr const char* kDlsymBaseVersion = "GLIBC_2.17";
#else
constexpr const char* kDlsymBaseVersion = nullptr;
#endif

#define MEMLEDGER_NOT_INSTRUMENTED __attribute__((no_sanitize("address", "undefined", "thread")))

MEMLEDGER_NOT_INSTRUMENTED DlsymFunction LoadRealDlsym() {
  DlsymFunction real = __atomic_load_n(&memledger_cuda_real_dlsym, __ATOMIC_ACQUIRE);
  if (real != nullptr) [[likely]]
    return real;
  // dlvsym is not interposed: RTLD_NEXT from here is the dlsym after this library (glibc's).
  real = reinterpret_cast<DlsymFunction>(dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34"));
  if (real == nullptr && kDlsymBaseVersion != nullptr) {
    real = reinterpret_cast<DlsymFunction>(dlvsym(RTLD_NEXT, "dlsym", kDlsymBaseVersion));
  }
  if (real == nullptr) {
    static const char kMessage[] = "libmemledger_cuda.so: cannot find the C library's dlsym\n";
    fwrite(kMessage, 1, sizeof(kMessage) - 1, stderr);
    abort();
  }
  // Release: pairs with the acquire load above in other threads.
  __atomic_store_n(&memledger_cuda_real_dlsym, real, __ATOMIC_RELEASE);
  return real;
}

MEMLEDGER_NOT_INSTRUMENTED bool SameName(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

// The wrapped entry point called `name`, or -1.
MEMLEDGER_NOT_INSTRUMENTED int WrappedEntryPointNamed(const char* name) {
  if (name[0] != 'c' || name[1] != 'u') return -1;  // every name here begins "cu"; most lookups do not
  for (std::size_t i = 0; i < kWrappedEntryPointCount; ++i) {
    if (SameName(kEntryPointNames[i], name)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

void* RealDlsym(void* handle, const char* name) { return LoadRealDlsym()(handle, name); }

}  // namespace memledger::cuda

// What dlsym(handle, name) returns instead of the C library's answer; null:
// let the C library answer (it also sets dlerror then).
extern "C" __attribute__((visibility("hidden"))) MEMLEDGER_NOT_INSTRUMENTED void* memledger_cuda_dlsym_substitute(
    void* handle, const char* name) {
  using namespace memledger::cuda;
  const DlsymFunction real = LoadRealDlsym();
  // The pseudo-handles search the global scope, where LD_PRELOAD already put this library first.
  if (handle == RTLD_DEFAULT || handle == RTLD_NEXT || name == nullptr) return nullptr;
  const int entry = WrappedEntryPointNamed(name);
  if (entry < 0) return nullptr;
  void* found = real(handle, name);
  return found == nullptr ? nullptr : AdoptReal(static_cast<EntryPoint>(entry), found);
}

// The trampoline. On entry the stack holds the caller's return address; it
// is there again when the jump reaches the C library's dlsym. The first
// instruction is a landing pad for indirect branches (CET IBT, BTI), a no-op
// where those are off.
#if defined(__x86_64__)
asm(R"(
  .text
  .globl dlsym
  .type dlsym, @function
  .p2align 4
dlsym:
  .cfi_startproc
  endbr64
  pushq %rdi
  .cfi_adjust_cfa_offset 8
  pushq %rsi
  .cfi_adjust_cfa_offset 8
  subq $8, %rsp
  .cfi_adjust_cfa_offset 8
  call memledger_cuda_dlsym_substitute
  addq $8, %rsp
  .cfi_adjust_cfa_offset -8
  popq %rsi
  .cfi_adjust_cfa_offset -8
  popq %rdi
  .cfi_adjust_cfa_offset -8
  testq %rax, %rax
  jnz 1f
  jmp *memledger_cuda_real_dlsym(%rip)
1:
  ret
  .cfi_endproc
  .size dlsym, .-dlsym
)");
#elif defined(__aarch64__)
asm(R"(
  .text
  .globl dlsym
  .type dlsym, %function
  .p2align 2
dlsym:
  .cfi_startproc
  hint #34
  stp x29, x30, [sp, #-32]!
  .cfi_def_cfa_offset 32
  .cfi_offset 29, -32
  .cfi_offset 30, -24
  mov x29, sp
  stp x0, x1, [sp, #16]
  bl memledger_cuda_dlsym_substitute
  mov x2, x0
  ldp x0, x1, [sp, #16]
  ldp x29, x30, [sp], #32
  .cfi_restore 29
  .cfi_restore 30
  .cfi_def_cfa_offset 0
  cbnz x2, 1f
  adrp x16, memledger_cuda_real_dlsym
  ldr x16, [x16, #:lo12:memledger_cuda_real_dlsym]
  br x16
1:
  mov x0, x2
  ret
  .cfi_endproc
  .size dlsym, .-dlsym
)");
#endif
