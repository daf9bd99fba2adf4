/* failing_program.c — allocations that fail in each way the ledger tells
 * apart, each from functions of its own (never inlined, so each is a
 * frame), for failure_report_test.py (issue 16). Device 0 ("fail-device")
 * declares a banked L1 (4 banks of 16 KiB, 32-byte granules: hooked as 64 KiB
 * at 0), circular buffers within L1, and DRAM without a space. In order:
 *   mark "load": weights_in_l1 allocates 8 L1 buffers of 2 KiB (512 B a
 *     bank) at 6, 14, ... 62 KiB; after mark "step 1" keep_activation a
 *     4 KiB one at 0, tagged "activations";
 *   a 24 KiB L1 request fails 1000 times (one group): fragmented — 44 KiB
 *     free in 8 holes, the largest 6 KiB;
 *   a program's CB region of 8 KiB fails: cb_clash with the activation at 0
 *     and the weight at 6 KiB;
 *   DRAM: 900 KiB live of 1 MiB, a 200 KiB request fails: exhausted (no map).
 * The addresses and sizes are the test's facts (keep them in step).
 * usage: failing_program [UID [hold]] — the device's uid (its own books on a
 * server shared with other tests' devices); `hold`: once the books have it
 * all, print "ready" and wait for a line on stdin before exiting (its
 * buffers stay live, for a scrape of the free space). */
#include <memledger/memledger.h>
#include <stdio.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define KIB 1024ull

NOINLINE static void weights_in_l1(void) {
  /* Free runs of 6 KiB between them. */
  for (unsigned i = 0; i < 8; ++i) memledger_alloc(0, MEMLEDGER_L1, 1 + i, (6 + 8 * i) * KIB, 2 * KIB);
}
NOINLINE static void keep_activation(void) { memledger_alloc(0, MEMLEDGER_L1, 10, 0, 4 * KIB); }
NOINLINE static void request_a_large_l1_buffer(void) { memledger_alloc_failed(0, MEMLEDGER_L1, 24 * KIB, 0); }
NOINLINE static void place_program_cbs(void) { memledger_alloc_failed(0, MEMLEDGER_CB, 8 * KIB, 0); }
NOINLINE static void hold_dram(void) { memledger_alloc(0, MEMLEDGER_DRAM, 100, 0x100000, 900 * KIB); }
NOINLINE static void request_dram(void) { memledger_alloc_failed(0, MEMLEDGER_DRAM, 200 * KIB, 0); }

int main(int argc, char** argv) {
  const memledger_capacity capacities[] = {{MEMLEDGER_DRAM, 1024 * KIB}, {MEMLEDGER_L1, 64 * KIB}};
  const memledger_address_space spaces[] = {{MEMLEDGER_L1, MEMLEDGER_L1, 4, 32, 0, 64 * KIB},
                                            {MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0}};
  memledger_device_description description = {0};
  description.struct_size = sizeof(description);
  description.name = "fail-device";
  description.capacities = capacities;
  description.capacity_count = 2;
  description.address_spaces = spaces;
  description.address_space_count = 2;
  description.uid = argc > 1 ? argv[1] : NULL;
  memledger_device_open_described(0, &description);

  memledger_mark("load");
  weights_in_l1();
  memledger_mark("step 1");
  memledger_tag_push("activations");
  keep_activation();
  memledger_tag_pop();
  for (int i = 0; i < 1000; ++i) request_a_large_l1_buffer();
  place_program_cbs();
  hold_dram();
  request_dram();
  memledger_flush();
  if (argc > 2 && strcmp(argv[2], "hold") == 0) {
    char line[16];
    printf("ready\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL) return 0;
  }
  return 0;
}
