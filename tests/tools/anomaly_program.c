/* anomaly_program.c — provokes each kind of anomaly the ledger finds, once,
 * each from functions of its own (never inlined, so each is a frame), for
 * anomaly_facts_test.py: unknown_free, double_free, double_alloc, overlap,
 * late_free_hook. Every buffer is on device 0, tagged "anomalies"; the
 * addresses and ids are the test's facts (keep them in step with it).
 * Frees are counted as the ledger counts them: an overlap becomes an
 * `overlap` (not a late free hook) once more than 2^16 records come between
 * the newer allocation and the older one's free. */
#include <memledger/memledger.h>

#define NOINLINE __attribute__((noinline))

NOINLINE static void free_never_allocated(void) { memledger_free(0, MEMLEDGER_DRAM, 99, 0x9000); }

NOINLINE static void allocate_weights(void) { memledger_alloc(0, MEMLEDGER_DRAM, 7, 0x10000, 4096); }
NOINLINE static void release_weights(void) { memledger_free(0, MEMLEDGER_DRAM, 7, 0x10000); }
NOINLINE static void release_weights_again(void) { memledger_free(0, MEMLEDGER_DRAM, 7, 0x10000); }

NOINLINE static void allocate_cache(void) { memledger_alloc(0, MEMLEDGER_DRAM, 8, 0x20000, 4096); }
NOINLINE static void allocate_cache_again(void) { memledger_alloc(0, MEMLEDGER_DRAM, 8, 0x30000, 8192); }

NOINLINE static void allocate_halo(void) { memledger_alloc(0, MEMLEDGER_L1, 10, 0x40000, 65536); }
NOINLINE static void allocate_over_halo(void) { memledger_alloc(0, MEMLEDGER_L1, 11, 0x48000, 16384); }
NOINLINE static void release_halo(void) { memledger_free(0, MEMLEDGER_L1, 10, 0x40000); }

NOINLINE static void allocate_scratch(void) { memledger_alloc(0, MEMLEDGER_DRAM, 20, 0x80000, 4096); }
NOINLINE static void reuse_scratch_before_its_free(void) { memledger_alloc(0, MEMLEDGER_DRAM, 21, 0x80000, 4096); }
NOINLINE static void release_scratch(void) { memledger_free(0, MEMLEDGER_DRAM, 20, 0x80000); }

/* Records enough to take the overlap out of the late-free window. */
NOINLINE static void churn(void) {
  for (unsigned i = 0; i < 40000; ++i) {
    memledger_alloc(0, MEMLEDGER_DRAM, 1000, 0x100000, 64);
    memledger_free(0, MEMLEDGER_DRAM, 1000, 0x100000);
  }
}

int main(void) {
  const memledger_capacity capacities[] = {{MEMLEDGER_DRAM, 1 << 30}, {MEMLEDGER_L1, 1 << 20}};
  memledger_device_open(0, "anomaly-device", capacities, 2);
  memledger_tag_push("anomalies");

  free_never_allocated();

  allocate_weights();
  release_weights();
  release_weights_again();

  allocate_cache();
  allocate_cache_again();
  memledger_free(0, MEMLEDGER_DRAM, 8, 0x30000);

  allocate_halo();
  allocate_over_halo();
  churn();
  release_halo();
  memledger_free(0, MEMLEDGER_L1, 11, 0x48000);

  allocate_scratch();
  reuse_scratch_before_its_free();
  release_scratch();
  memledger_free(0, MEMLEDGER_DRAM, 21, 0x80000);

  memledger_tag_pop();
  memledger_device_close(0);
  return 0;
}
