/* c_api_test.c — the C ABI from C: calls every function and inline hook in
 * memledger.h, from several threads.
 *
 *   c_api_test on          tracking must be on (MEMLEDGER=1); makes the calls
 *                          listed in c_api_expected.h, whose capture
 *                          c_api_capture_test.cc replays and checks; and
 *                          forks a child whose hooks must not be tracked.
 *   c_api_test off <path>  tracking must be off (no MEMLEDGER in the
 *                          environment, MEMLEDGER_OUTPUT=<path>): every hook is
 *                          a no-op and no capture file appears.
 *   c_api_test no-address-space
 *                          tracking on; with almost no address space left
 *                          (RLIMIT_AS), turning stacks on fails with -1 (no
 *                          exception through the C ABI) and the hooks go on.
 *   c_api_test errno       tracking on: every hook leaves errno as it found it.
 * Exits 0 when every check holds; else prints the failed check and exits 1. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "c_api_expected.h"
#include "memledger/memledger.h"

#define CHECK(cond)                                                                \
  do {                                                                             \
    if (!(cond)) {                                                                 \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
      exit(1);                                                                     \
    }                                                                              \
  } while (0)

/* Each worker tags its thread and allocates and frees its own buffers,
 * alternating the inline hooks and the out-of-line entry points. */
static void* Worker(void* arg) {
  const uint64_t worker = (uint64_t)(uintptr_t)arg;
  memledger_tag_push("worker"); /* never popped: it must not reach other threads */
  for (uint64_t i = 0; i < C_API_ALLOCS_PER_THREAD; ++i) {
    const uint64_t id = 1000000 + worker * 100000 + i;
    const uint64_t address = 0x10000000ULL + (worker * C_API_ALLOCS_PER_THREAD + i) * 0x1000;
    if (i % 2 == 0) {
      memledger_alloc(0, MEMLEDGER_DRAM, id, address, C_API_THREAD_BUFFER_BYTES);
      memledger_free(0, MEMLEDGER_DRAM, id, address);
    } else {
      memledger_record_alloc(0, MEMLEDGER_DRAM, id, address, C_API_THREAD_BUFFER_BYTES);
      memledger_record_free(0, MEMLEDGER_DRAM, id, address);
    }
  }
  return NULL;
}

static void RegisterPools(void) {
  CHECK(memledger_register_pool("kv_cache") == C_API_KV_CACHE_POOL);
  CHECK(memledger_register_pool("kv_cache") == C_API_KV_CACHE_POOL); /* same name, same id */
  CHECK(memledger_register_pool("scratch") == C_API_SCRATCH_POOL);
  for (int id = C_API_SCRATCH_POOL + 1; id < MEMLEDGER_MAX_TYPES; ++id) {
    char name[32];
    snprintf(name, sizeof(name), "pool_%d", id);
    CHECK(memledger_register_pool(name) == id);
  }
  CHECK(memledger_register_pool("one_too_many") == -1);
  CHECK(memledger_register_pool("kv_cache") == C_API_KV_CACHE_POOL);
}

/* Built-in types by their report names; no name for any other value
 * (registered pools included), tracking on or off. */
static void TypeNames(void) {
  CHECK(strcmp(memledger_type_name(MEMLEDGER_DRAM), "DRAM") == 0);
  CHECK(strcmp(memledger_type_name(MEMLEDGER_L1_SMALL), "L1_SMALL") == 0);
  CHECK(strcmp(memledger_type_name(MEMLEDGER_SYSTEM_MEMORY), "SYSTEM_MEMORY") == 0);
  CHECK(strcmp(memledger_type_name(MEMLEDGER_KERNEL), "KERNEL") == 0);
  CHECK(memledger_type_name(MEMLEDGER_KERNEL + 1) == NULL);
  CHECK(memledger_type_name(MEMLEDGER_FIRST_POOL) == NULL);
  CHECK(memledger_type_name(255) == NULL);
}

static int TrackingOn(void) {
  CHECK(memledger_enabled() == 1);
  CHECK(__atomic_load_n(&memledger_hooks_active, __ATOMIC_RELAXED) != 0);
  TypeNames();
  /* Stack depth: out of range refused; on and off again, each call returning
   * the depth before it (stacks are off without MEMLEDGER_STACKS). */
  CHECK(memledger_set_stack_depth(-1) == -1);
  CHECK(memledger_set_stack_depth(MEMLEDGER_MAX_STACK_DEPTH + 1) == -1);
  CHECK(memledger_set_stack_depth(MEMLEDGER_MAX_STACK_DEPTH) == 0);
  CHECK(memledger_set_stack_depth(8) == MEMLEDGER_MAX_STACK_DEPTH);
  CHECK(memledger_set_stack_depth(0) == 8);

  RegisterPools();
  const memledger_capacity capacities[] = {
      {MEMLEDGER_DRAM, C_API_DRAM_CAPACITY},
      {MEMLEDGER_L1, C_API_L1_CAPACITY},
      {C_API_KV_CACHE_POOL, C_API_KV_CACHE_CAPACITY},
  };
  memledger_device_open(0, "sim0", capacities, sizeof(capacities) / sizeof(capacities[0]));
  memledger_device_open(1, "sim1", NULL, 0);
  /* Described with a uid; and with an older header's shorter struct, whose
   * struct_size ends before the uid: the uid beyond it is not read. */
  const memledger_address_space spaces[C_API_DEVICE2_SPACES] = {
      {MEMLEDGER_DRAM, MEMLEDGER_DRAM, 1, 32, 0, C_API_DEVICE2_DRAM_SPACE},
      {MEMLEDGER_L1, MEMLEDGER_L1, 2, 32, 0, 2 * C_API_DEVICE2_L1_BANK},
      {MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0},
  };
  const memledger_device_description sim2 = {sizeof(sim2), "sim2", NULL, 0, C_API_DEVICE2_UID, spaces,
                                             C_API_DEVICE2_SPACES};
  memledger_device_open_described(2, &sim2);
  const memledger_device_description sim3 = {offsetof(memledger_device_description, uid), "sim3", capacities, 1,
                                             "beyond the caller's struct", spaces, C_API_DEVICE2_SPACES};
  memledger_device_open_described(3, &sim3);
  /* An older header's struct that ends after the uid, before the address spaces. */
  const memledger_device_description sim4 = {offsetof(memledger_device_description, address_spaces), "sim4", NULL,
                                             0, C_API_DEVICE4_UID, spaces, C_API_DEVICE2_SPACES};
  memledger_device_open_described(4, &sim4);

  memledger_tag_push("weights");
  memledger_alloc(0, MEMLEDGER_DRAM, 1, 0x1000, C_API_WEIGHTS_BYTES);
  memledger_record_alloc(0, MEMLEDGER_DRAM, 2, 0x3000, 8192);
  memledger_tag_push("inner");
  memledger_alloc(0, MEMLEDGER_L1, 3, 0x100, 1024);
  memledger_tag_pop();
  memledger_tag_pop();
  memledger_tag_push("weights"); /* known name: no new tag record */
  memledger_record_alloc_failed(0, MEMLEDGER_L1, C_API_FAILED_L1_BYTES, C_API_FAILED_L1_EXTENT);
  memledger_tag_pop();
  memledger_alloc_failed(2, MEMLEDGER_DRAM, C_API_FAILED_DRAM_BYTES, 0);
  memledger_tag_pop(); /* nothing pushed: harmless */

  memledger_alloc(0, C_API_KV_CACHE_POOL, 4, 0x10000, C_API_KV_CACHE_BYTES);

  memledger_cb_alloc(0, 1, 0x200, 256);
  memledger_cb_free(0, 1, 0x200);
  memledger_record_cb_alloc(0, 2, 0x300, 256);
  memledger_record_cb_free(0, 2, 0x300);
  memledger_kernel_load(0, 1, 0x400, 512);
  memledger_kernel_unload(0, 1, 0x400);
  memledger_record_kernel_load(0, 2, 0x800, 512);
  memledger_record_kernel_unload(0, 2, 0x800);

  memledger_mark("step 1");

  memledger_free(0, MEMLEDGER_DRAM, 2, 0x3000);
  memledger_record_free(0, MEMLEDGER_L1, 3, 0x100);
  memledger_free(0, MEMLEDGER_DRAM, 99, 0x9900); /* unknown_free */
  memledger_free(0, MEMLEDGER_DRAM, 2, 0x3000);  /* double_free */

  memledger_alloc(1, MEMLEDGER_L1, 5, 0x100, C_API_DEVICE1_L1_BYTES);
  memledger_device_close(1);

  pthread_t threads[C_API_THREADS];
  for (int t = 0; t < C_API_THREADS; ++t) {
    CHECK(pthread_create(&threads[t], NULL, Worker, (void*)(uintptr_t)t) == 0);
  }
  for (int t = 0; t < C_API_THREADS; ++t) CHECK(pthread_join(threads[t], NULL) == 0);

  /* Fork policy: a forked child does not track, and its hooks never reach the
   * parent's ring (the replayed counts would show them). */
  const pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    if (memledger_enabled() != 0) _exit(3);
    memledger_alloc(0, MEMLEDGER_DRAM, 77, 0x7700, 1 << 20);
    memledger_record_alloc(0, MEMLEDGER_DRAM, 78, 0x7800, 1 << 20);
    memledger_mark("from the child");
    _exit(0);
  }
  int status = 0;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);

  memledger_alloc(0, MEMLEDGER_DRAM, 6, 0x5000, C_API_UNTAGGED_DRAM_BYTES);
  memledger_flush();
  memledger_flush(); /* nothing new: returns at once */
  CHECK(memledger_enabled() == 1);
  return 0;
}

static int TrackingOff(const char* output_path) {
  CHECK(memledger_enabled() == 0);
  CHECK(__atomic_load_n(&memledger_hooks_active, __ATOMIC_RELAXED) == 0);
  TypeNames();
  /* Every hook is a no-op and none may crash. */
  const memledger_capacity capacity = {MEMLEDGER_DRAM, 1};
  memledger_device_open(0, "off", &capacity, 1);
  const memledger_address_space space = {MEMLEDGER_DRAM, MEMLEDGER_DRAM, 1, 1, 0, 1};
  const memledger_device_description off = {sizeof(off), "off", &capacity, 1, "off-uid", &space, 1};
  memledger_device_open_described(1, &off);
  memledger_device_open_described(2, NULL);
  memledger_tag_push("off");
  memledger_alloc(0, MEMLEDGER_DRAM, 1, 0x1000, 16);
  memledger_record_alloc(0, MEMLEDGER_DRAM, 2, 0x2000, 16);
  memledger_free(0, MEMLEDGER_DRAM, 1, 0x1000);
  memledger_record_free(0, MEMLEDGER_DRAM, 2, 0x2000);
  memledger_cb_alloc(0, 1, 0x200, 256);
  memledger_cb_free(0, 1, 0x200);
  memledger_record_cb_alloc(0, 1, 0x200, 256);
  memledger_record_cb_free(0, 1, 0x200);
  memledger_kernel_load(0, 1, 0x400, 512);
  memledger_kernel_unload(0, 1, 0x400);
  memledger_record_kernel_load(0, 1, 0x400, 512);
  memledger_record_kernel_unload(0, 1, 0x400);
  memledger_alloc_failed(0, MEMLEDGER_DRAM, 2, 0);
  memledger_record_alloc_failed(0, MEMLEDGER_DRAM, 2, 4);
  memledger_mark("off");
  memledger_tag_pop();
  memledger_device_close(0);
  memledger_flush();
  /* Pool ids are the same contract with tracking off. */
  const int pool = memledger_register_pool("kv_cache");
  CHECK(pool >= MEMLEDGER_FIRST_POOL && pool < MEMLEDGER_MAX_TYPES);
  CHECK(memledger_register_pool("kv_cache") == pool);
  CHECK(memledger_enabled() == 0);
  CHECK(memledger_set_stack_depth(8) == -1);
  CHECK(access(output_path, F_OK) != 0); /* tracking off: no capture file */
  return 0;
}

/* The stack table reserves 16 MiB of address space: with 1–2 MiB left, it
 * cannot, and memledger_set_stack_depth says so instead of throwing.
 * The size read from statm can be stale: another thread (the consumer, making
 * its malloc arena) may map 128 MiB and give half back around the read. So
 * after the limit is set, what is left is filled with inaccessible 1 MiB
 * mappings until none fits, and one is given back. */
static int NoAddressSpace(void) {
  CHECK(memledger_enabled() == 1);
  memledger_flush(); /* the consumer has started and drained: it is idle */
  FILE* statm = fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  CHECK(statm != NULL && fscanf(statm, "%lu", &pages) == 1);
  fclose(statm);
  const size_t mib = 1UL << 20;
  const struct rlimit limit = {pages * (unsigned long)sysconf(_SC_PAGESIZE) + mib, RLIM_INFINITY};
  CHECK(setrlimit(RLIMIT_AS, &limit) == 0);
  void* last_filler = MAP_FAILED;
  for (;;) {
    void* filler = mmap(NULL, mib, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (filler == MAP_FAILED) break;
    last_filler = filler;
  }
  if (last_filler != MAP_FAILED) CHECK(munmap(last_filler, mib) == 0);
  CHECK(memledger_set_stack_depth(8) == -1);
  CHECK(memledger_set_stack_depth(8) == -1); /* and again: still said, not thrown */
  memledger_alloc(0, MEMLEDGER_DRAM, 1, 0x1000, 64);
  memledger_free(0, MEMLEDGER_DRAM, 1, 0x1000);
  return 0;
}

/* A hook leaves errno as it found it: the allocation it records may be the
 * call whose error its caller reads next. The first hook starts tracking
 * (files, a consumer thread); a producer that finds the ring full sleeps on a
 * futex; a stack walked by libunwind probes memory. More threads than the
 * ring has lanes, through a small ring: lanes, shared slots, and waits. */
#define ERRNO_SENTINEL 4242
#define ERRNO_THREADS 12
#define ERRNO_ROUNDS 50000

#define CHECK_KEEPS_ERRNO(call) \
  do {                           \
    errno = ERRNO_SENTINEL;      \
    call;                        \
    CHECK(errno == ERRNO_SENTINEL); \
  } while (0)

static void* ErrnoWorker(void* arg) {
  const uint64_t worker = (uint64_t)(uintptr_t)arg;
  for (uint64_t i = 0; i < ERRNO_ROUNDS; ++i) {
    const uint64_t id = 5000000 + worker * ERRNO_ROUNDS + i;
    const uint64_t address = 0x40000000ULL + id * 0x100;
    CHECK_KEEPS_ERRNO(memledger_record_alloc(0, MEMLEDGER_DRAM, id, address, 0x100));
    CHECK_KEEPS_ERRNO(memledger_record_free(0, MEMLEDGER_DRAM, id, address));
    if (i % 64 == 0) {
      CHECK_KEEPS_ERRNO(memledger_record_cb_alloc(0, id, address, 0x100));
      CHECK_KEEPS_ERRNO(memledger_record_cb_free(0, id, address));
      CHECK_KEEPS_ERRNO(memledger_record_kernel_load(0, id, address, 0x100));
      CHECK_KEEPS_ERRNO(memledger_record_kernel_unload(0, id, address));
      CHECK_KEEPS_ERRNO(memledger_record_alloc_failed(0, MEMLEDGER_L1, 1ULL << 40, 0));
    }
  }
  return NULL;
}

static int ErrnoKept(void) {
  CHECK_KEEPS_ERRNO(memledger_record_alloc(0, MEMLEDGER_DRAM, 1, 0x1000, 0x100)); /* starts tracking */
  CHECK_KEEPS_ERRNO(memledger_record_free(0, MEMLEDGER_DRAM, 1, 0x1000));
  pthread_t threads[ERRNO_THREADS];
  for (uintptr_t t = 0; t < ERRNO_THREADS; ++t) CHECK(pthread_create(&threads[t], NULL, ErrnoWorker, (void*)t) == 0);
  for (int t = 0; t < ERRNO_THREADS; ++t) CHECK(pthread_join(threads[t], NULL) == 0);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "on") == 0) return TrackingOn();
  if (argc == 2 && strcmp(argv[1], "no-address-space") == 0) return NoAddressSpace();
  if (argc == 2 && strcmp(argv[1], "errno") == 0) return ErrnoKept();
  if (argc == 3 && strcmp(argv[1], "off") == 0) return TrackingOff(argv[2]);
  fprintf(stderr, "usage: %s on | no-address-space | errno | off <capture path that must not appear>\n", argv[0]);
  return 2;
}
