/* fork_hooks_test.c — the fork policy under threads: a child forked while
 * another thread is inside a hook never waits for a lock that thread held.
 *
 *   fork_hooks_test CHILDREN
 *
 * A thread calls the hooks that take the library's locks (device open and
 * close, pool registration, tags, interned frames, marks, allocations,
 * checkpoints and their queries)
 * without pause, while the main thread forks CHILDREN children one after
 * another. Each child calls every function of memledger.h, checks that
 * tracking is off and that a pool keeps its parent's id, and _exits. The
 * parent then waits for them all (a generous bound, kChildrenBoundSeconds:
 * a child normally takes a millisecond) and fails if any is still alive:
 * a hung child is a failure here, never a slow one. Run with tracking on
 * and off (tests/client/CMakeLists.txt).
 * Exits 0 when every child finished and passed its checks; else says how
 * many hung or failed and exits 1. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memledger/memledger.h"

enum { kMaxChildren = 1000, kChildrenBoundSeconds = 120 };

static volatile int g_stop = 0;
static int g_parent_pool = -1;

static size_t NoFrames(uint64_t* frames, size_t capacity) {
  (void)frames;
  (void)capacity;
  return 0;
}

/* Every lock a hook can take, over and over. */
static void* Hammer(void* arg) {
  (void)arg;
  const memledger_capacity capacity = {MEMLEDGER_DRAM, 1ull << 30};
  for (uint64_t i = 0; !__atomic_load_n(&g_stop, __ATOMIC_RELAXED); ++i) {
    char name[32];
    snprintf(name, sizeof(name), "tag-%u", (unsigned)(i % 4096));
    memledger_device_open(1, "hammered", &capacity, 1);
    memledger_tag_push(name);
    memledger_register_pool(i % 2 == 0 ? "kv_cache" : "scratch");
    memledger_intern_frame(name, "hammer.py", (uint32_t)i);
    memledger_alloc(1, MEMLEDGER_DRAM, i + 1, 0x1000 + i * 64, 64);
    memledger_free(1, MEMLEDGER_DRAM, i + 1, 0x1000 + i * 64);
    memledger_mark(name);
    memledger_tag_pop();
    if (i % 64 == 0) {
      const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
      memledger_alloc(1, MEMLEDGER_DRAM, 1u << 30, 0x100000, 64);
      memledger_checkpoint_query query = {sizeof(query), checkpoint, MEMLEDGER_CHECKPOINT_COUNTS_ONLY, 0, NULL, 0, 0};
      memledger_checkpoint_result result = {sizeof(result), 0, 0, 0, NULL, NULL};
      memledger_query_checkpoint(&query, &result);
      memledger_free(1, MEMLEDGER_DRAM, 1u << 30, 0x100000);
      memledger_checkpoint_end(checkpoint);
    }
    memledger_device_close(1);
  }
  return NULL;
}

/* In the child: every function of memledger.h; exit status 0 when the fork
 * policy held (tracking off, the parent's pool ids kept). */
static void ChildCallsEveryHook(void) {
  const memledger_capacity capacity = {MEMLEDGER_DRAM, 1 << 20};
  int failures = 0;
  failures += memledger_enabled() != 0;
  failures += __atomic_load_n(&memledger_hooks_active, __ATOMIC_RELAXED) != 0;
  memledger_device_open(2, "child", &capacity, 1);
  memledger_tag_push("child");
  failures += memledger_register_pool("kv_cache") != g_parent_pool;
  failures += memledger_register_pool("child pool") < MEMLEDGER_FIRST_POOL;
  failures += memledger_intern_frame("child", "child.py", 1) != 0;
  memledger_set_frame_provider(NoFrames, NULL);
  memledger_set_frame_provider(NULL, NULL);
  failures += memledger_set_stack_depth(8) != -1;
  memledger_alloc(2, MEMLEDGER_DRAM, 1, 0x1000, 64);
  memledger_record_alloc(2, MEMLEDGER_DRAM, 2, 0x2000, 64);
  memledger_cb_alloc(2, 1, 0x200, 64);
  memledger_record_cb_alloc(2, 2, 0x300, 64);
  memledger_kernel_load(2, 1, 0x400, 64);
  memledger_record_kernel_load(2, 2, 0x500, 64);
  memledger_kernel_unload(2, 1, 0x400);
  memledger_record_kernel_unload(2, 2, 0x500);
  memledger_cb_free(2, 1, 0x200);
  memledger_record_cb_free(2, 2, 0x300);
  memledger_free(2, MEMLEDGER_DRAM, 1, 0x1000);
  memledger_record_free(2, MEMLEDGER_DRAM, 2, 0x2000);
  memledger_mark("child");
  const memledger_checkpoint checkpoint = memledger_checkpoint_begin();
  failures += checkpoint != 0;
  failures += memledger_sequence() != 0;
  memledger_checkpoint_query query = {sizeof(query), 1, 0, 0, NULL, 0, 0};
  memledger_checkpoint_result result = {sizeof(result), 0, 0, 0, NULL, NULL};
  failures += memledger_query_checkpoint(&query, &result) != MEMLEDGER_E_OFF;
  failures += result.json != NULL || result.text != NULL;
  failures += memledger_checkpoint_end(1) != MEMLEDGER_E_OFF;
  memledger_free_text(NULL);
  memledger_tag_pop();
  memledger_device_close(2);
  memledger_flush();
  _exit(failures == 0 ? 0 : 1);
}

int main(int argc, char** argv) {
  const int children = argc > 1 ? atoi(argv[1]) : 200;
  if (children <= 0 || children > kMaxChildren) {
    fprintf(stderr, "usage: fork_hooks_test CHILDREN (1..%d)\n", kMaxChildren);
    return 2;
  }
  g_parent_pool = memledger_register_pool("kv_cache");
  pthread_t hammer;
  if (pthread_create(&hammer, NULL, Hammer, NULL) != 0) {
    fprintf(stderr, "fork_hooks_test: cannot start the hammering thread\n");
    return 1;
  }
  static pid_t pids[kMaxChildren];
  int forked = 0;
  for (; forked < children; ++forked) {
    const pid_t pid = fork();
    if (pid < 0) {
      fprintf(stderr, "fork_hooks_test: fork failed after %d children\n", forked);
      break;
    }
    if (pid == 0) ChildCallsEveryHook();
    pids[forked] = pid;
  }
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELAXED);
  pthread_join(hammer, NULL);

  /* Every child, however long the machine is loaded, is given the bound. */
  int left = forked, failed = 0;
  const time_t deadline = time(NULL) + kChildrenBoundSeconds;
  while (left > 0 && time(NULL) < deadline) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno != EINTR) break;
    if (pid <= 0) {
      usleep(10000);
      continue;
    }
    for (int i = 0; i < forked; ++i) {
      if (pids[i] != pid) continue;
      pids[i] = 0;
      --left;
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
  }
  for (int i = 0; i < forked; ++i) {
    if (pids[i] == 0) continue;
    kill(pids[i], SIGKILL);
    waitpid(pids[i], NULL, 0);
  }
  printf("fork_hooks_test: %d children: %d finished, %d hung (still alive after %d s), %d failed their checks\n",
         forked, forked - left, left, kChildrenBoundSeconds, failed);
  return forked == children && left == 0 && failed == 0 ? 0 : 1;
}
