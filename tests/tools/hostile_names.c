/* hostile_names.c — a tracked program whose names are not what a terminal or
 * a JSON encoder expects (names_test.py runs it, under a file name with a
 * Latin-1 byte so that its comm is not UTF-8 either):
 *   device 0  "dev" + bytes FF FE + newline + ESC[2J       (ill-formed, controls)
 *   device 1  LONG_NAME                                    (301 bytes of UTF-8, byte 256 mid-character)
 *   pool      "weights,fp16" + newline + "\"q\"" + byte E9 (CSV's separators, ill-formed)
 *   tags      "tag" + C3 28 80, and LONG_NAME
 *   mark      "mark" + FF + newline
 * It leaks HOSTILE_LEAKS buffers: 2 in the pool on device 0 under the first
 * tag, 1 in DRAM on device 1 under the long one, and frees one more.
 *
 *   hostile_names           runs and exits
 *   hostile_names --wait    prints "ready" once everything is booked, then
 *                           waits for its stdin to close before exiting
 * Exits 0 unless a hook refused (prints why). */
#include <stdio.h>
#include <string.h>

#include "memledger/memledger.h"

int main(int argc, char** argv) {
  /* "n" then 150 x "é" (C3 A9): bytes 255-256 are one character. */
  char long_name[1 + 150 * 2 + 1];
  long_name[0] = 'n';
  for (int i = 0; i < 150; ++i) memcpy(long_name + 1 + 2 * i, "\xc3\xa9", 2);
  long_name[sizeof(long_name) - 1] = '\0';

  const memledger_capacity capacity[] = {{MEMLEDGER_DRAM, 1 << 30}};
  memledger_device_open(0, "dev\xff\xfe\n\x1b[2J", capacity, 1);
  memledger_device_open(1, long_name, capacity, 1);
  const int pool = memledger_register_pool("weights,fp16\n\"q\"\xe9");
  if (pool < 0) {
    fprintf(stderr, "hostile_names: the pool was refused\n");
    return 1;
  }
  memledger_mark("mark\xff\n");

  memledger_tag_push("tag\xc3\x28\x80");
  memledger_alloc(0, (memledger_mem_type)pool, 1, 0x1000, 4096);
  memledger_alloc(0, (memledger_mem_type)pool, 2, 0x3000, 4096);
  memledger_alloc(0, (memledger_mem_type)pool, 3, 0x5000, 4096);
  memledger_free(0, (memledger_mem_type)pool, 3, 0x5000);
  memledger_tag_pop();
  memledger_tag_push(long_name);
  memledger_alloc(1, MEMLEDGER_DRAM, 4, 0x1000, 8192);
  memledger_tag_pop();

  if (argc > 1 && strcmp(argv[1], "--wait") == 0) {
    memledger_flush();
    printf("ready\n");
    fflush(stdout);
    while (getchar() != EOF) {
    }
  }
  return 0;
}
